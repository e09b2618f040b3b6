"""Controls every tab builds the same way."""

from __future__ import annotations

from typing import Any

import gradio as gr


def seed_box(value: int, label: Any, **kwargs: Any) -> gr.Number:
    """A seed's box. precision=None: the seed reaches the pipeline as typed, so its sentence quotes what was typed
    (Gradio's rounding would turn 1.5 into 2, and a 30-digit seed into another number). No `minimum` either:
    the pipeline's own sentence, in the tab's status line, says what is allowed."""
    return gr.Number(value, precision=None, label=label, **kwargs)
