"""Text → Image tab: a prompt → Stable Diffusion (hub id, folder or file) or the embedded emoji model.

Each action is one shared function with thin renderers: the page's event (component updates) and, where
programs call it, the typed endpoint (a dict of named results). What a model takes (limits.py) and what a
dropped PNG restores (metadata.py) are the pipeline's; the page's text is demos/strings/text_to_image.toml.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Optional, Union

import gradio as gr

from demos import history, image_to_image
from demos.api import batched, file_out, publish
from demos.controls import seed_box
from demos.errors import inform, status_line, user_errors, warn
from demos.i18n import add_strings, bilingual, language, progress_in, strings
from demos.limits import watched
from demos.page_js import revealing
from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline
from pipelines.common.emoji_diffusion.styles import STYLE_NAMES, STYLES
from pipelines.common.images import text_tile
from pipelines.common.validation import say
from pipelines.text_to_image.backends import default_model, get_backend, model_notes
from pipelines.text_to_image.limits import EMBEDDED, EMOJI_LIMITS, ModelLimits, expected_limits
from pipelines.text_to_image.metadata import REQUEST_FIELDS as PNG_FIELDS, settings_to_restore
from pipelines.text_to_image.pipeline import CompareResult, ImageResult, get_pipeline
from pipelines.text_to_image.request import (MAX_COMPARE, MAX_IMAGES, MIN_STRENGTH, STYLE_AUTO, CompareRequest,
                                             ImageRequest, StyleChoice)
from pipelines.text_to_image.schedulers import MODEL_DEFAULT, SCHEDULER_CHOICES, SchedulerChoice

# demos/strings/text_to_image.toml; the comparison's note says how many of 10 steps the emoji model runs from its sketch
t, MESSAGES = strings("text_to_image", sketch_steps=10,
                      sketch_run=EmojiDiffusionPipeline.steps_run(10, EMOJI_LIMITS.default_strength))
add_strings(*bilingual({f"style.{key}": names for key, names in STYLE_NAMES.items()}))  # the style picker's names

EXAMPLES = [
    ["red apple", "", 7], ["cat face, openmoji style", "", 3], ["pizza, fluent 3d style", "", 11], ["rocket", "", 5],
    ["빨간 하트", "", 7], ["고양이 얼굴", "", 2], ["해바라기, 트위모지 스타일", "", 4], ["green apple", "", 1],
]
STYLE_CHOICES = [(t("image.auto"), STYLE_AUTO)] + [(t(f"style.{s}"), s) for s in STYLES]
SCHEDULER_LABELS = [(t("image.default") if name == MODEL_DEFAULT else name, name) for name in SCHEDULER_CHOICES]
REQUEST_FIELDS = tuple(f.name for f in fields(ImageRequest))  # the page's request controls, in the handler's order
MODEL_BOUNDED = ("steps", "guidance", "width", "height", "num_images", "style", "strength")  # what a model sets


def model_picker() -> list[tuple]:
    """The models to pick from, named in the page's language (Gradio translates the keys in the browser)."""
    notes = {"": "", "offline": t("image.note_offline"), "download": t("image.note_download")}
    return [(t("image.embedded"), EMBEDDED)] + [(spec + notes[note] if note else spec, spec) for spec, note in model_notes()]


# -- the shared actions ---------------------------------------------------------------------------------
def draw(progress, request, *sent) -> ImageResult:
    """Pictures for a request as sent (ImageRequest's fields, in order), kept in the requester's creations."""
    result = get_pipeline().generate(ImageRequest.from_user(*sent), progress=watched(progress))
    history.kept(request, "image", result.request.prompt, result.settings, result.files)
    return result


def compare(prompt, models, seed, steps, schedulers, lang: str, progress=None) -> CompareResult:
    """One prompt and seed across models × step counts × schedulers (no models named: the embedded one)."""
    request = CompareRequest.from_user(prompt=prompt, models=[EMBEDDED] if models is None else models, seed=seed,
                                       steps=steps, schedulers=schedulers)
    return get_pipeline().compare(request, progress=watched(progress), lang=lang)


def describe(result: ImageResult, lang: str = "en") -> str:
    """The result in one line (seeds, model, style, steps, start, guidance, size, time), then its notices."""
    seeds = result.seeds[0] if len(result.seeds) == 1 else MESSAGES("seed_range", lang, first=result.seeds[0], last=result.seeds[-1])
    used = result.request
    style = f" · {STYLE_NAMES[used.style][lang == 'ko']}" if used.style else ""
    # The emoji model: how many of the steps asked ran from its sketch.
    start = "" if used.strength is None else f" · {MESSAGES('strength', lang, value=used.strength, run=result.steps_run)}"
    line = MESSAGES("summary", lang, seeds=seeds, model=used.model + style, steps=used.steps, start=start,
                    guidance=used.guidance, width=used.width, height=used.height, seconds=result.seconds)
    return "\n\n".join([line] + [f"⚠️ {say(n, lang)}" for n in result.notices])


def control_settings(limits: ModelLimits) -> dict[str, Any]:
    """The controls a model bounds, at its defaults: the page's first ones (its default model's, before it loads)
    and model_defaults' updates. A plain value sets only the value."""
    size = dict(value=limits.default_size, minimum=limits.min_size, maximum=limits.max_size, step=limits.size_multiple)
    return {"steps": dict(value=limits.default_steps, maximum=limits.max_steps),
            "guidance": dict(value=limits.default_guidance, maximum=limits.max_guidance),
            "width": size, "height": size, "num_images": limits.suggested_images,
            "style": dict(value=STYLE_AUTO, visible=bool(limits.styles)),  # only the emoji model has styles
            "strength": dict(value=limits.default_strength or 1.0, visible=limits.default_strength is not None)}  # and a sketch


# -- the page's events (private) -------------------------------------------------------------------------
@user_errors
def text_to_image(prompt, negative_prompt, model, steps, guidance, width, height, seed, num_images,
                  scheduler=MODEL_DEFAULT, style=STYLE_AUTO, strength=None, request: gr.Request = None,
                  progress=gr.Progress(track_tqdm=True)):
    lang = language(request)
    result = draw(progress_in(progress, lang), request, prompt, negative_prompt, model, steps, guidance, width, height, seed,
                  num_images, scheduler, style, strength)
    gallery = [(str(f), MESSAGES("caption", lang, seed=s)) for f, s in zip(result.files, result.seeds)]
    return gallery, result.settings, describe(result, lang)


@user_errors
def compare_images(prompt, models, seed, steps, schedulers=None, request: gr.Request = None,
                   progress=gr.Progress(track_tqdm=True)):
    lang = language(request)
    result = compare(prompt, models, seed, steps, schedulers, lang, progress_in(progress, lang))
    gallery = [(str(c.file), say(c.label, lang)) for c in result.cells if c.file]
    # A model that could not run gets a tile saying why, in place of its picture.
    gallery += [(text_tile(MESSAGES("unavailable", lang, label=say(c.label, lang), reason=say(c.error, lang))),
                 say(c.label, lang)) for c in result.cells if not c.file]
    return gallery, str(result.grid_file)


@user_errors
def model_defaults(model, request: gr.Request = None, progress=gr.Progress()):
    """Load the picked model and set the controls to its defaults (an unavailable one: say why, keep the embedded)."""
    lang = language(request)
    try:
        backend = get_pipeline().load(model)  # the same checks as a request: no loading from arbitrary paths
    except ValueError as exc:
        warn(say(exc, lang), lang)
        backend = get_backend(EMBEDDED)
    settings = control_settings(backend.limits)
    return (backend.name, *[gr.update(**v) if isinstance(v, dict) else v for v in map(settings.get, MODEL_BOUNDED)])


def load_png(path, request: gr.Request = None):
    """Settings from a dropped PNG into the controls; fields missing, or dropped by read_settings (wrong type,
    range or choice), are left as they are. A file without settings changes nothing and says why (a warning,
    not an error on every control)."""
    lang = language(request)
    try:
        if path:
            restored = restored_controls(path)
            inform(MESSAGES("loaded", lang), lang)
            return restored
    except ValueError as exc:
        warn(MESSAGES("not_loaded", lang, reason=say(exc, lang)), lang)
    return [gr.update() for _ in PNG_FIELDS]


def restored_controls(path) -> list:
    """The controls' values a PNG's settings restore (the pipeline's rule, its start included); others unchanged."""
    settings = settings_to_restore(path)
    return [settings[k] if k in settings else gr.update() for k in PNG_FIELDS]


# -- the typed endpoints (public) ------------------------------------------------------------------------
def api_text_to_image(prompt: str, negative_prompt: str = "", model: str = EMBEDDED, steps: Optional[int] = None,
                      guidance: Optional[float] = None, width: Optional[int] = None, height: Optional[int] = None,
                      seed: int = -1, num_images: int = 1, scheduler: SchedulerChoice = "default", style: StyleChoice = STYLE_AUTO,
                      strength: Optional[float] = None, request: gr.Request = None) -> dict:
    """Draw pictures from a prompt (English or Korean); every PNG carries its settings.

    Args:
        prompt: what to draw, 1–2,000 characters.
        negative_prompt: what to steer away from (optional).
        model: "emoji-diffusion", one of the host's SD models, or (where allowed) a hub id or a model in GS_MODELS_DIR.
        steps: denoising steps; None = the model's default.
        guidance: classifier-free guidance; None = the model's default.
        width: pixels, within the model's bounds and a multiple of its step (16 for the emoji model, 8 for SD);
            None = its default.
        height: as width.
        seed: 0 … 4294967295, or -1 for a random one (always reported).
        num_images: 1–8; image i uses seed + i.
        scheduler: "default" (the model's own), "ddim", "euler", "dpm++" or "pndm".
        style: the emoji model's style: "auto" (a style named in the prompt, else Noto) or one of "noto",
            "twemoji", "openmoji", "fluent", "fluent_flat", "fluent_3d", "emojione"; SD models take "auto" only.
        strength: the emoji model's start, 0.05–1: the share of the steps run from its layout prior's sketch
            (1 = from pure noise); None = its default (0.3). SD models take None or 1 only.
    Returns:
        {"images": PNG files, "seeds": the seed of each, "settings": everything used, "seconds": generation time,
         "notices": translation/truncation notes, "summary": one line in the request's language}
    """
    result = draw(None, request, prompt, negative_prompt, model, steps, guidance, width, height, seed, num_images, scheduler,
                  style, strength)  # watched: stops when the client goes away
    return {"images": [file_out(f) for f in result.files], "seeds": result.seeds, "settings": result.settings,
            "seconds": round(result.seconds, 3), "notices": result.notices, "summary": describe(result, language(request))}


def api_compare_images(prompt: str, models: Optional[list[str]] = None, seed: int = -1,
                       steps: Optional[Union[list[int], str]] = None, schedulers: Optional[list[SchedulerChoice]] = None,
                       request: gr.Request = None) -> dict:
    """One prompt and seed across models × step counts × schedulers (at most 8), with timings.

    Args:
        prompt: what to draw.
        models: model ids; default: the embedded model.
        seed: one seed for every cell (-1 = random).
        steps: step counts, e.g. [10, 25] (or "10, 25"); None = each model's default.
        schedulers: scheduler names; default: ["default"].
    Returns:
        {"images": [{"label", "image" (PNG or None), "seconds", "error" (why it could not run, or None)}],
         "grid": the labelled grid as one PNG, "seed": the seed used}
    """
    lang = language(request)
    result = compare(prompt, models, seed, steps, schedulers, lang)
    cells = [{"label": say(c.label, lang), "image": file_out(c.file), "seconds": round(c.seconds, 3),
              "error": say(c.error, lang) or None} for c in result.cells]
    return {"images": cells, "grid": file_out(result.grid_file), "seed": result.seed}


# -- the page --------------------------------------------------------------------------------------------
def request_controls(choices: list[tuple]) -> dict[str, Any]:
    """The request's controls (keyed by ImageRequest's fields), its button and status line, at the default
    model's limits (model_defaults sets them to each model picked)."""
    first = default_model()
    bounds = control_settings(expected_limits(first))
    c = {"prompt": gr.Textbox(label=t("image.prompt"), placeholder=t("image.prompt_placeholder"), lines=2, elem_id="image-prompt"),
         "negative_prompt": gr.Textbox(label=t("image.negative"), placeholder=t("image.negative_placeholder"))}
    with gr.Row():
        c["model"] = gr.Dropdown(choices, value=first, label=t("image.model"), info=t("image.model_info"),
                                 allow_custom_value=True, scale=3, elem_id="image-model")
        c["style"] = gr.Dropdown(STYLE_CHOICES, label=t("image.style"), info=t("image.style_info"), scale=2,
                                 elem_id="image-style", **bounds["style"])
        c["num_images"] = gr.Slider(1, MAX_IMAGES, value=bounds["num_images"], step=1, label=t("image.count"), scale=2)
    with gr.Accordion(t("image.advanced"), open=False, elem_id="image-advanced"):
        with gr.Row():
            c["steps"] = gr.Slider(1, step=1, label=t("image.steps"), **bounds["steps"])
            c["guidance"] = gr.Slider(0, step=0.5, label=t("image.guidance"), **bounds["guidance"])
            c["scheduler"] = gr.Dropdown(SCHEDULER_LABELS, value=MODEL_DEFAULT, label=t("image.scheduler"),
                                         info=t("image.scheduler_info"))
            c["strength"] = gr.Slider(MIN_STRENGTH, 1.0, step=0.05, label=t("image.strength"), info=t("image.strength_info"),
                                      elem_id="image-strength", **bounds["strength"])
        with gr.Row():  # only sizes the model takes: its bounds, in its steps
            c["width"] = gr.Slider(label=t("image.width"), **bounds["width"])
            c["height"] = gr.Slider(label=t("image.height"), **bounds["height"])
            c["seed"] = seed_box(-1, t("image.seed"), info=t("image.seed_info"), elem_id="image-seed")
    c["generate"] = gr.Button(t("image.generate"), variant="primary", elem_id="image-generate")
    c["status"] = gr.Markdown(elem_id="image-status")  # a failed action says why here, beside its button
    return c


def result_view() -> dict[str, Any]:
    """The pictures, their summary line, the settings used, and the drop zone for a PNG's settings."""
    shown = {"gallery": gr.Gallery(label=t("image.gallery"), columns=4, object_fit="contain", format="png", height=330,
                                   elem_id="image-gallery", elem_classes="latent-big"),
             "info": gr.Markdown(elem_id="image-info")}
    with gr.Accordion(t("image.settings"), open=False):  # the raw JSON, for those who want it
        shown["settings"] = gr.JSON(show_label=False)
    # After the pictures: a phone stacks the columns, and the pictures come first.
    shown["png"] = gr.File(label=t("image.png"), file_types=[".png"], type="filepath", height=130, elem_id="image-png")
    return shown


def comparison_view(choices: list[tuple]) -> dict[str, Any]:
    """One prompt and seed across models, step counts and schedulers (the request's prompt and seed)."""
    gr.Markdown(t("image.compare_title"))
    with gr.Row():
        ui = {"compare_models": gr.CheckboxGroup(choices, value=[EMBEDDED], label=t("image.compare_models")),
              "compare_steps": gr.Textbox("10, 25, 50", label=t("image.compare_steps")),
              "compare_schedulers": gr.CheckboxGroup(SCHEDULER_LABELS, value=[MODEL_DEFAULT],
                                                     label=t("image.compare_schedulers"))}
    ui["compare"] = gr.Button(t("image.compare"), elem_id="image-compare")
    ui["compare_status"] = gr.Markdown(elem_id="image-compare-status")
    with gr.Row():
        ui["compared"] = gr.Gallery(label=t("image.compare_gallery"), columns=MAX_COMPARE // 2, object_fit="contain",
                                    format="png", scale=3, elem_id="image-compared", elem_classes="full-captions")
        ui["grid"] = gr.File(label=t("image.compare_grid"), interactive=False, scale=1)
    return ui


def wire(demo: gr.Blocks, ui: dict[str, Any]) -> None:
    """Programs call the typed endpoints (published first, so they own the names); the page's events are private."""
    publish(api_text_to_image, "text_to_image", batched("emoji"))
    publish(api_compare_images, "compare_images")
    private = dict(api_visibility="private")
    page_generate, outputs = status_line(text_to_image, 4), [ui[name] for name in ("gallery", "settings", "info", "status")]
    for trigger in (ui["generate"].click, ui["prompt"].submit):  # then the pictures or the message, scrolled into view
        drawn = trigger(page_generate, [ui[name] for name in REQUEST_FIELDS], outputs, **private, **batched("emoji"))
        revealing(drawn, "#image-gallery", "#image-status")
    defaults = [ui[name] for name in ("model", *MODEL_BOUNDED)]
    ui["model"].input(model_defaults, ui["model"], defaults, **private)
    ui["png"].upload(load_png, ui["png"], [ui[name] for name in PNG_FIELDS], **private)
    # "Open in its tab" from My creations: the first picture's settings, as a dropped PNG's
    history.reopens("image", "tab.image", [ui[name] for name in PNG_FIELDS],
                    lambda creation, path_of: restored_controls(path_of(creation.files[0].name)))
    if default_model() != EMBEDDED:  # a Stable Diffusion default: load it with the page, controls to its defaults
        demo.load(model_defaults, ui["model"], defaults, **private)
    inputs = [ui[name] for name in ("prompt", "compare_models", "seed", "compare_steps", "compare_schedulers")]
    compared = ui["compare"].click(status_line(compare_images, 3), inputs,
                                   [ui["compared"], ui["grid"], ui["compare_status"]], **private)
    revealing(compared, "#image-compared", "#image-compare-status")


def build() -> gr.Blocks:
    choices = model_picker()
    with gr.Blocks() as demo:
        gr.Markdown(t("image.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                ui = request_controls(choices)
            with gr.Column(scale=3):
                ui |= result_view()
        gr.Examples(EXAMPLES, [ui["prompt"], ui["negative_prompt"], ui["seed"]], label="Examples · 예시",
                    example_labels=[p for p, _, _ in EXAMPLES])
        ui |= comparison_view(choices)
        wire(demo, ui)
        image_to_image.section(choices)  # after the comparison: its endpoints follow the tab's own
    return demo
