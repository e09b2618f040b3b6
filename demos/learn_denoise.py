"""How models learn, Denoising tab: watch a diffusion model remove noise step by step.

One shared function (`denoise`), rendered for programs by /learn_denoise (published by demos/learn.py) and for the
page by `run_denoise`; `denoise_section` builds the inner tab. Its labels are demos/strings/learn.toml's.
"""

from __future__ import annotations

import gradio as gr

from demos.api import images_out
from demos.errors import status_line, user_errors
from demos.i18n import I18N as t  # the keys of demos/strings/learn.toml, registered by demos/learn.py
from demos.page_js import clamped, revealing
from pipelines.learn import pipeline as learn
from pipelines.learn.denoisers import DenoiseFrame
from pipelines.learn.pipeline import DenoiseRequest, get_pipeline

DEFAULT_MODEL = "mnist-diffusion"


def denoise(model, label, seed, steps, prompt) -> list[DenoiseFrame]:
    """The frames of one denoising, from pure noise to the picture."""
    return get_pipeline().denoise(DenoiseRequest(model=model, label=label, seed=seed, steps=steps, prompt=prompt))


def learn_denoise(model: learn.DenoiserChoice, label: int = learn.ANY_LABEL, seed: int = 0,
                  steps: int = DenoiseRequest.steps, prompt: str = "", request: gr.Request = None) -> dict:
    """Watch a diffusion model denoise: one frame per step, from pure noise to a picture.

    model: mnist-diffusion or fashion-mnist-diffusion (label: a class 0–9, or -1 for any), or emoji-diffusion,
    the Text → Image tab's own model (prompt: what to draw, English or Korean; its frames are decoded latents).
    Returns {"frames": [{"timestep", "noisy": PNG of x_t, "guess": PNG of the predicted clean image}], "image": the result}.
    """
    frames = denoise(model, label, seed, steps, prompt)
    files = images_out([im for f in frames for im in (f.noisy, f.guess)])
    out = [{"timestep": f.timestep, "noisy": files[2 * i], "guess": files[2 * i + 1]} for i, f in enumerate(frames)]
    return {"model": model, "label": label, "seed": seed, "frames": out, "image": out[-1]["guess"]}


# -- the page (private events) ---------------------------------------------------------------------
@user_errors
def run_denoise(model, label, prompt, seed, steps, request: gr.Request = None):
    frames = denoise(model, label, seed, steps, prompt)
    return frames, gr.Slider(1, len(frames), value=len(frames), step=1), *show_frame(frames, len(frames))


def first_denoise(frames, model, label, prompt, seed, steps, request: gr.Request = None):
    """Opening Watch denoising shows a first run; coming back keeps the user's own run and the frame they chose."""
    return [gr.skip()] * 5 if frames else run_denoise(model, label, prompt, seed, steps, request)


def class_choices(model: str) -> list[tuple[str, int]]:
    """A class-conditional denoiser's classes (its training set's names), "any" first."""
    return [("any · 아무거나", learn.ANY_LABEL)] + [(name, i) for i, name in enumerate(learn.denoiser_classes(model))]


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


def denoise_section(tab: gr.Tab, seed: gr.Number) -> None:
    """The Denoising tab's contents (call inside `tab`) and its events: a first run as the tab first opens."""
    gr.Markdown(t("learn.denoise_hint"))
    with gr.Row():
        model = gr.Dropdown([(t(f"learn.denoiser.{key}"), key) for key in learn.DENOISERS], value=DEFAULT_MODEL,
                            label=t("learn.model"), elem_id="learn-denoiser")
        label = gr.Dropdown(class_choices(DEFAULT_MODEL), value=learn.ANY_LABEL, label=t("learn.label"))
        prompt = gr.Textbox(learn.EXAMPLE_PROMPT, label=t("learn.prompt"), info=t("learn.prompt_info"), visible=False,
                            elem_id="learn-denoise-prompt")
        steps = gr.Slider(1, learn.MAX_DENOISE_STEPS, value=DenoiseRequest.steps, step=1, label=t("learn.denoise_steps"),
                          elem_id="learn-denoise-steps")
    button = gr.Button(t("learn.run_denoise"), variant="primary")
    status = gr.Markdown(elem_id="learn-denoise-status")
    frame = gr.Slider(1, DenoiseRequest.steps, value=DenoiseRequest.steps, step=1, label=t("learn.frame"), elem_id="learn-frame")
    frame_info = gr.Markdown(elem_id="learn-frame-info")
    with gr.Row():
        noisy = gr.Image(label=t("learn.noisy"), format="png", height=220, elem_classes="latent-big", elem_id="learn-noisy")
        guess = gr.Image(label=t("learn.guess"), format="png", height=220, elem_classes="latent-big")
    frames = gr.State([])

    model.change(denoiser_controls, model, [label, prompt], api_visibility="private")
    inputs, outputs = [model, label, prompt, seed, steps], [frames, frame, noisy, guess, frame_info, status]
    revealing(button.click(status_line(run_denoise, 6), inputs, outputs, api_visibility="private"),
              "#learn-noisy", "#learn-denoise-status")
    tab.select(status_line(first_denoise, 6), [frames] + inputs, outputs, api_visibility="private")
    frame.input(show_frame, [frames, frame], [noisy, guess, frame_info], api_visibility="private", show_progress="hidden",
                js=clamped([frames, frame]))  # a number typed past the end: the end, not Gradio's English toast
