"""The Text → Image tab's "Image → Image" area: draw or upload a picture, redraw it (a prompt optional) or restyle it
into all seven emoji styles, by the emoji model (SDEdit), Stable Diffusion or the StarGAN trained here.

One shared function per action (`redraw`, `restyle_row`), rendered for the page (a gallery with seeds or styles and
times) and as the typed endpoints /image_to_image and /restyle. The page's text: demos/strings/image_to_image.toml.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

import gradio as gr
from gradio.data_classes import FileData

from demos import history
from demos.api import file_in, file_out, publish
from demos.controls import seed_box
from demos.errors import status_line, user_errors
from demos.i18n import language, progress_in, strings
from demos.limits import watched
from demos.page_js import revealing
from pipelines.common.emoji_diffusion.pipeline import IMAGE_STRENGTH
from pipelines.common.emoji_diffusion.styles import STYLE_NAMES, STYLES
from pipelines.text_to_image.image_to_image import (STARGAN, ImageToImageRequest, PictureResult, RestyleRequest,
                                                    StyleTarget, compare_restyles, get_image_to_image)
from pipelines.text_to_image.limits import EMBEDDED
from pipelines.text_to_image.metadata import read_settings
from pipelines.text_to_image.request import MAX_IMAGES, MIN_STRENGTH
from pipelines.common.validation import say

t, MESSAGES = strings("image_to_image")  # demos/strings/image_to_image.toml
RestyleModel = Literal["emoji-stargan", "emoji-diffusion"]


# -- the shared actions ---------------------------------------------------------------------------------
def picture_path(value: Any) -> Optional[str]:
    """The picture from the editor (its composite: the upload with whatever was drawn on it) or a plain path."""
    return value.get("composite") if isinstance(value, dict) else value


def redraw(request, image, prompt, negative_prompt, model, style, strength, steps, guidance, seed, num_images,
           progress=None) -> PictureResult:
    asked = ImageToImageRequest(image=image, prompt=prompt, negative_prompt=negative_prompt, model=model, style=style,
                                strength=strength, steps=steps, guidance=guidance, seed=seed, num_images=num_images)
    return keep(request, get_image_to_image().run(asked, progress=watched(progress)), image, prompt)


def restyle_row(request, image, model, seed, strength, progress=None) -> PictureResult:
    result = get_image_to_image().restyle(RestyleRequest(image=image, model=model, seed=seed, strength=strength),
                                          progress=watched(progress))
    return keep(request, result, image, "")


def keep(request, result: PictureResult, source, prompt: str) -> PictureResult:
    """The results in the requester's creations, with the picture they came from (reopened into the editor)."""
    history.kept(request, "image_to_image", prompt or MESSAGES("restyled", language(request)), result.settings,
                 [*result.files, (SOURCE, source)])
    return result


def reopened(creation, path_of) -> list:
    """"Open in its tab": the source picture back in the editor, the settings back in the controls."""
    source = path_of(SOURCE)
    return [{"background": str(source), "layers": [], "composite": str(source)},
            *[creation.settings.get(key, gr.update()) for key in RESTORED]]


def summary(result: PictureResult, lang: str) -> str:
    """One line: how many pictures, by which model, in how long; then what was done to the picture (its first frame…)."""
    line = MESSAGES("done", lang, count=len(result.images), model=result.settings.get("model", ""), seconds=result.seconds)
    return " ".join([line] + [f"*{say(notice, lang)}*" for notice in result.notices])


def as_api(result: PictureResult, lang: str) -> dict:
    return {"images": [file_out(f) for f in result.files], "labels": result.labels, "settings": result.settings,
            "seconds": round(result.seconds, 3), "summary": summary(result, lang)}


# -- the page's handlers ---------------------------------------------------------------------------------
@user_errors
def page_redraw(image, prompt, model, style, strength, seed, num_images, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    result = redraw(request, picture_path(image), prompt, "", model, style, strength, None, None, seed, num_images,
                    progress_in(progress, lang))
    return [(str(f), label) for f, label in zip(result.files, result.labels)], summary(result, lang)


@user_errors
def page_restyle(image, model, seed, strength, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    result = restyle_row(request, picture_path(image), model if model in (STARGAN, EMBEDDED) else STARGAN, seed, strength,
                         progress_in(progress, lang))
    return [(str(f), STYLE_NAMES[s][lang == "ko"]) for f, s in zip(result.files, result.labels)], summary(result, lang)


@user_errors
def page_compare(image, seed, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    grid, path, rows = compare_restyles(picture_path(image), seed, watched(progress_in(progress, lang)))
    return [(str(path), MESSAGES("compared", lang, seed=rows[0].settings["seed"]))], MESSAGES(
        "compared_times", lang, stargan=rows[0].seconds, diffusion=rows[1].seconds)


def page_restore(image):
    """A picture this area made, dropped back in: its prompt, model, style, strength and seed return to the controls
    (any other picture changes nothing)."""
    try:
        settings = read_settings(picture_path(image) if not isinstance(image, dict) else image.get("background"))
    except (ValueError, FileNotFoundError, TypeError):
        settings = {}
    if settings.get("mode") != "image_to_image":
        return [gr.update()] * len(RESTORED)
    return [settings.get(key, gr.update()) for key in RESTORED]


RESTORED = ("prompt", "model", "style", "strength", "seed")  # the controls a dropped result sets, in order
SOURCE = "source.png"  # the name a kept creation gives the picture it was made from


# -- the typed endpoints ---------------------------------------------------------------------------------
def api_image_to_image(image: FileData, prompt: str = "", negative_prompt: str = "", model: str = EMBEDDED,
                       style: Optional[StyleTarget] = None, strength: float = IMAGE_STRENGTH, steps: Optional[int] = None,
                       guidance: Optional[float] = None, seed: int = -1, num_images: int = 1, request: gr.Request = None) -> dict:
    """Redraw a picture: the emoji model (SDEdit, a prompt optional), "emoji-stargan" (restyle) or an SD model (a prompt needed).

    Args:
        image: the picture (gradio_client: handle_file(path)); PNG, JPEG, WebP, GIF or BMP.
        prompt: what it should become (optional for the emoji models).
        negative_prompt: what to steer away from.
        model: "emoji-diffusion", "emoji-stargan", or an SD model as in /text_to_image.
        style: the emoji models' target style (default noto).
        strength: 0.05–1, the share of the schedule redrawn (diffusion models).
        steps: denoising steps (the model's default when None).
        guidance: classifier-free guidance (the model's default when None).
        seed: 0 … 4294967295, or -1 for a random one; image i uses seed + i.
        num_images: 1–8.
    Returns:
        {"images": PNG files (each with its settings and the source's SHA-256), "labels": each one's seed,
         "settings", "seconds", "summary"}
    """
    result = redraw(request, file_in(image, "image"), prompt, negative_prompt, model, style, strength, steps, guidance, seed, num_images)
    return as_api(result, language(request))


def api_restyle(image: FileData, model: RestyleModel = "emoji-stargan", seed: int = -1, strength: float = IMAGE_STRENGTH,
                request: gr.Request = None) -> dict:
    """The picture in all seven emoji styles, as a row: by the StarGAN (one pass) or the emoji model (SDEdit per style).

    Returns:
        {"images": 7 PNG files in the order of "labels" (the styles), "settings", "seconds", "summary"}
    """
    return as_api(restyle_row(request, file_in(image, "image"), model, seed, strength), language(request))


def api_compare_restyles(image: FileData, seed: int = -1, request: gr.Request = None) -> dict:
    """The picture in all seven styles by the StarGAN and by the emoji model (SDEdit), side by side, with times.

    Returns:
        {"grid": one labelled PNG (StarGAN's row above diffusion's), "cells": [{"model", "style", "seconds"}], "seed"}
    """
    grid, path, rows = compare_restyles(file_in(image, "image"), seed, watched())
    cells = [{"model": model, "style": style, "seconds": round(row.seconds / len(STYLES), 4)}
             for model, row in zip((STARGAN, EMBEDDED), rows) for style in STYLES]
    return {"grid": file_out(path), "cells": cells, "seed": rows[0].settings["seed"]}


# -- the page --------------------------------------------------------------------------------------------
def section(models: list[tuple]) -> None:
    """The area's controls, results and events, inside the Text → Image tab."""
    gr.Markdown(t("i2i.title"))
    with gr.Row():
        with gr.Column(scale=3):
            editor = gr.ImageEditor(label=t("i2i.picture"), type="filepath", height=300, elem_id="i2i-picture",
                                    brush=gr.Brush(default_size=6), canvas_size=(256, 256))
            prompt = gr.Textbox(label=t("i2i.prompt"), placeholder=t("i2i.prompt_placeholder"), elem_id="i2i-prompt")
            with gr.Row():
                model = gr.Dropdown([(t("i2i.stargan"), STARGAN)] + models, value=EMBEDDED, label=t("i2i.model"),
                                    allow_custom_value=True, elem_id="i2i-model")
                style = gr.Dropdown([(t(f"style.{s}"), s) for s in STYLES], value="openmoji", label=t("i2i.style"))
            with gr.Row():
                strength = gr.Slider(MIN_STRENGTH, 1.0, value=IMAGE_STRENGTH, step=0.05, label=t("i2i.strength"),
                                     info=t("i2i.strength_info"))
                count = gr.Slider(1, MAX_IMAGES, value=2, step=1, label=t("i2i.count"))
                seed = seed_box(-1, t("i2i.seed"))
            with gr.Row():
                run = gr.Button(t("i2i.run"), variant="primary", elem_id="i2i-run")
                row = gr.Button(t("i2i.restyle"), elem_id="i2i-restyle")
                both = gr.Button(t("i2i.compare"), elem_id="i2i-compare")
            status = gr.Markdown(elem_id="i2i-status")
        with gr.Column(scale=3):
            gallery = gr.Gallery(label=t("i2i.results"), columns=4, object_fit="contain", format="png", height=330,
                                 elem_id="i2i-gallery", elem_classes="latent-big full-captions")
            info = gr.Markdown(elem_id="i2i-info")
    publish(api_image_to_image, "image_to_image")
    publish(api_restyle, "restyle")
    publish(api_compare_restyles, "compare_restyles")
    private = dict(api_visibility="private")
    drawn = run.click(status_line(page_redraw, 3), [editor, prompt, model, style, strength, seed, count],
                      [gallery, info, status], **private)
    revealing(drawn, "#i2i-gallery", "#i2i-status")
    restyled = row.click(status_line(page_restyle, 3), [editor, model, seed, strength], [gallery, info, status], **private)
    revealing(restyled, "#i2i-gallery", "#i2i-status")
    editor.upload(page_restore, editor, [prompt, model, style, strength, seed], **private)
    history.reopens("image_to_image", "tab.image", [editor, prompt, model, style, strength, seed], reopened)
    compared = both.click(status_line(page_compare, 3), [editor, seed], [gallery, info, status], **private)
    revealing(compared, "#i2i-gallery", "#i2i-status")
