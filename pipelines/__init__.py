"""Models and their logic. Nothing in this package imports gradio."""
