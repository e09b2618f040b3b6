"""One gr.Blocks module per tab. Only wiring: the work is in `pipelines/`. Nothing here launches."""
