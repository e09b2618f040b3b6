"""How models learn, Denoising tab: the page's handlers for watching a diffusion model remove noise step by step
(moved out of demos/learn.py, which builds the tab and publishes /learn_denoise)."""

from __future__ import annotations

import gradio as gr

from demos.errors import user_errors
from pipelines.learn import pipeline as learn
from pipelines.learn.data import CLASS_NAMES
from pipelines.learn.pipeline import DenoiseRequest, get_pipeline


@user_errors
def run_denoise(model, label, prompt, seed, steps, request: gr.Request = None):
    frames = get_pipeline().denoise(DenoiseRequest(model=model, label=label, seed=seed, steps=steps, prompt=prompt))
    return frames, gr.Slider(1, len(frames), value=len(frames), step=1), *show_frame(frames, len(frames))


def first_denoise(frames, model, label, prompt, seed, steps, request: gr.Request = None):
    """Opening Watch denoising shows a first run; coming back keeps the user's own run and the frame they chose."""
    return [gr.skip()] * 5 if frames else run_denoise(model, label, prompt, seed, steps, request)


def class_choices(model: str) -> list[tuple[str, int]]:
    """A class-conditional denoiser's classes (its dataset's names), "any" first."""
    dataset = model.removesuffix("-diffusion")
    return [("any · 아무거나", learn.ANY_LABEL)] + list(zip(CLASS_NAMES.get(dataset, ()), range(10)))


def denoiser_controls(model):
    """A model that draws a prompt shows the prompt box; one that draws a class shows its classes."""
    takes_prompt = model in learn.PROMPT_DENOISERS
    return (gr.Dropdown(class_choices(model), value=learn.ANY_LABEL, visible=not takes_prompt),
            gr.Textbox(visible=takes_prompt))


def show_frame(frames, index):
    if not frames:
        return None, None, ""
    frame = frames[min(max(int(index), 1), len(frames)) - 1]
    return frame.noisy, frame.guess, f"t = {frame.timestep}"
