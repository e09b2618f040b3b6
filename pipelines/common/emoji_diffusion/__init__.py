"""The embedded text-to-image model (emoji diffusion): its diffusers pipeline and its styles.

Shared because two tabs use it: Text → Image draws with it, and "How models learn" shows it denoising.
Its corpus and training script belong to the Text → Image tab (pipelines/text_to_image/).
"""
