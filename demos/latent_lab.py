"""Latent Lab tab: samples, A − B + C, interpolation, sliders, "is it copying?", side by side.

One function per action asks the pipeline (which checks every value) and returns its result; two thin
renderers show it: the page's private event (captions and images in the page's language) and the typed
endpoint programs call (api_name below: a dict of named results, registered with `publish`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable, Optional, Union

import gradio as gr
from gradio.data_classes import FileData
from PIL import Image

from demos import history
from demos.api import batched, file_in, image_out, images_out, publish
from demos.controls import seed_box
from demos.errors import status_line, user_errors
from demos.i18n import language, progress_in, strings
from demos.latent_clicks import CLICK_TARGETS, pick_sample
from demos.page_js import clamped, revealing
from pipelines.common.images import open_upload
from pipelines.common.seeding import random_seed
from pipelines.common.validation import say
from pipelines.latent_lab import pipeline as latent
from pipelines.latent_lab.nearest import NearestResult
from pipelines.latent_lab.pipeline import (ArithmeticRequest, CompareRequest, CopyCheckRequest, EditRequest, InterpolateRequest,
                                           LatentImages, SamplesRequest, get_pipeline)

t, MESSAGES = strings("latent_lab")  # demos/strings/latent_lab.toml

GENERATOR_CHOICES = [(t("latent.gen_digiface"), "digiface"), (t("latent.gen_fashion"), "fashion-mnist")]
DIRECTION_NAMES = [t("latent.pc") + f" {i + 1}" for i in range(latent.N_DIRECTIONS)]
TARGET_LABELS = {"from": "latent.seed_a", "to": "latent.seed_b", "edit": "latent.edit_seed", "with": "latent.trait_with",
                 "without": "latent.trait_without"}  # the click targets other than the groups A, B and C
ARITHMETIC_FIELDS = ("image", "mean_a", "mean_b", "mean_c")  # mean(A) − mean(B) + mean(C), then each group's mean
GENERATOR, TRUNCATION = latent.DEFAULT_GENERATOR, latent.DEFAULT_TRUNCATION  # the endpoints' defaults


# -- one function per action: the pipeline's result, for the page and the programs alike ------------
def samples(generator, seed, count, truncation) -> LatentImages:
    return get_pipeline().samples(SamplesRequest(generator=generator, seed=seed, count=count, truncation=truncation))


def arithmetic(generator, a_seeds, b_seeds, c_seeds, truncation) -> dict[str, Image.Image]:
    """{ARITHMETIC_FIELDS: image}."""
    result = get_pipeline().arithmetic(ArithmeticRequest(a_seeds=a_seeds, b_seeds=b_seeds, c_seeds=c_seeds, generator=generator,
                                                         truncation=truncation))
    return dict(zip(ARITHMETIC_FIELDS, (result.image, *result.group_means)))


def interpolate(generator, seed_a, seed_b, steps, mode, truncation) -> LatentImages:
    return get_pipeline().interpolate(InterpolateRequest(generator=generator, seed_a=seed_a, seed_b=seed_b, steps=steps, mode=mode,
                                                         truncation=truncation))


def edit(generator, seed, truncation, pc1, pc2, pc3, pc4, pc5, trait_with, trait_without, trait_amount) -> Image.Image:
    return get_pipeline().edit(EditRequest(generator=generator, seed=seed, truncation=truncation, amounts=[pc1, pc2, pc3, pc4, pc5],
                                           trait_with=trait_with, trait_without=trait_without, trait_amount=trait_amount))


def copy_check(image, generator, lang: str = "en") -> tuple[NearestResult, str]:
    """The nearest training images of `image`, and the pipeline's verdict sentence in `lang`."""
    result = get_pipeline().copy_check(CopyCheckRequest(image=image, generator=generator))
    return result, say(result.summary, lang)


def compare(generators, seed, count, truncation, progress=None) -> dict[str, LatentImages]:
    return get_pipeline().compare(CompareRequest(generators=generators, seed=seed, count=count, truncation=truncation), progress=progress)


def kept(action: Callable) -> Callable:
    """`action`, whose pictures are then kept in the requester's creations with its settings: for the actions a user
    asks for (a button, an API call), not the samples drawn when the page opens or the edits while a slider moves."""
    names = action.__code__.co_varnames[: action.__code__.co_argcount]

    def keeping(request, *values):
        result = action(*values)
        pictures = list(result.values()) if isinstance(result, dict) else result.images
        settings = {"action": action.__name__, **dict(zip(names, values))}
        lang = language(request)
        generator = MESSAGES(values[0], lang) if values[0] in MESSAGES else str(values[0])
        title = MESSAGES(f"kept_{action.__name__}", lang, generator=generator, seed=settings.get("seed", ""))
        with history.picture_files(pictures, action.__name__) as files:
            history.kept(request, "latent", title, settings, files)
        return result

    keeping.__name__ = action.__name__
    return keeping


def reopened(creation, path_of) -> list:
    """"Open in its tab": samples' generator, seed, count and truncation back into the sampling controls."""
    return [creation.settings.get(key, gr.update()) for key in ("generator", "seed", "count", "truncation")]


# -- the page: results as gallery captions and images, in the page's language ------------------------
def captioned(result: LatentImages, lang: str = "en") -> list[tuple]:
    """(image, caption) pairs: the seed in `lang` where there is one, else the pipeline's label (a strip's place)."""
    if result.seeds and lang != "en":
        return [(im, MESSAGES("caption", lang, seed=s)) for im, s in zip(result.images, result.seeds)]
    return list(zip(result.images, result.labels))


def on_page(action: Callable, render: Callable = lambda result, lang: result, keep: bool = False) -> Callable:
    """The page's handler of `action`: its result through `render`; the result and any error in the page's language.
    With `keep`, what it made goes into the user's creations."""
    def handler(request: gr.Request, *values):  # Gradio passes the request to a first parameter typed so
        result = kept(action)(request, *values) if keep else action(*values)
        return render(result, language(request))

    handler.__name__ = handler.__qualname__ = f"page_{action.__name__}"
    return user_errors(handler)


page_samples = on_page(samples, lambda result, lang: (captioned(result, lang), result.seeds))  # as the page opens
page_sample_button = on_page(samples, lambda result, lang: (captioned(result, lang), result.seeds), keep=True)
page_arithmetic = on_page(arithmetic, lambda images, lang: tuple(images.values()), keep=True)
page_interpolate = on_page(interpolate, lambda result, lang: captioned(result), keep=True)
page_edit = on_page(edit)


@user_errors
def page_nearest(request: gr.Request, progress=gr.Progress(), *settings):
    """"Is it copying?": the edited sample is made again from its settings (no image is uploaded)."""
    lang = language(request)
    image = edit(*settings)
    progress(0.1, desc=MESSAGES("searching", lang))
    result, summary = copy_check(image, settings[0], lang)
    return [(im, f"{label} · {d:.3f}") for im, label, d in zip(result.images, result.labels, result.distances)], summary


@user_errors
def page_compare(request: gr.Request, progress=gr.Progress(), *values):
    """Side by side: each tile says its generator, its seed and the time its generator took."""
    lang = language(request)
    results = compare(*values, progress=progress_in(progress, lang))
    return [(im, MESSAGES("tile", lang, generator=MESSAGES(key, lang), caption=MESSAGES("caption", lang, seed=s), ms=1000 * r.seconds))
            for key, r in results.items() for im, s in zip(r.images, r.seeds)]


# -- typed endpoints for programs -------------------------------------------------------------------
def files(result: LatentImages) -> dict:
    return {"images": images_out(result.images), "seeds": result.seeds, "seconds": round(result.seconds, 4)}


def api_latent_samples(generator: latent.GeneratorChoice = GENERATOR, seed: int = 0, count: int = latent.COUNT.default,
                       truncation: float = TRUNCATION, request: gr.Request = None) -> dict:
    """Samples with seeds seed, seed+1, …

    Args:
        generator: "digiface" (faces, 64 px) or "fashion-mnist" (28 px).
        seed: 0 … 4294967295.
        count: 1–32.
        truncation: 0–1; lower = more typical samples.
    Returns:
        {"images": PNG files, "seeds": the seed of each, "seconds": generation time}
    """
    return files(kept(samples)(request, generator, seed, count, truncation))


def api_latent_arithmetic(a_seeds: list[int], b_seeds: list[int], c_seeds: list[int], generator: latent.GeneratorChoice = GENERATOR,
                          truncation: float = TRUNCATION, request: gr.Request = None) -> dict:
    """mean(A) − mean(B) + mean(C) on the latent codes of three groups of seeds (about three each).

    Args:
        a_seeds: 1–16 seeds.
        b_seeds: 1–16 seeds.
        c_seeds: 1–16 seeds.
        generator: "digiface" or "fashion-mnist".
        truncation: 0–1.
    Returns:
        {"image": the result, "mean_a", "mean_b", "mean_c": each group's mean}
    """
    made = kept(arithmetic)(request, generator, a_seeds, b_seeds, c_seeds, truncation)
    return {name: image_out(image, name) for name, image in made.items()}


def api_latent_interpolate(seed_a: int = 0, seed_b: int = 1, steps: int = latent.STEPS.default, generator: latent.GeneratorChoice = GENERATOR,
                           mode: latent.InterpolationMode = latent.DEFAULT_MODE, truncation: float = TRUNCATION,
                           request: gr.Request = None) -> dict:
    """Frames from one sample to another.

    Args:
        seed_a: the first sample's seed.
        seed_b: the last sample's seed.
        steps: frames, 2–16.
        generator: "digiface" or "fashion-mnist".
        mode: "spherical" (every frame as typical as the ends) or "linear".
        truncation: 0–1.
    Returns:
        {"images": the frames, "fractions": each frame's position from 0 to 1}
    """
    result = kept(interpolate)(request, generator, seed_a, seed_b, steps, mode, truncation)
    return {"images": images_out(result.images), "fractions": [float(x) for x in result.labels]}


def api_latent_edit(seed: int = 0, generator: latent.GeneratorChoice = GENERATOR, truncation: float = TRUNCATION,
                    pc1: float = 0.0, pc2: float = 0.0, pc3: float = 0.0, pc4: float = 0.0, pc5: float = 0.0,
                    trait_with: Optional[Union[list[int], str]] = None, trait_without: Optional[Union[list[int], str]] = None,
                    trait_amount: float = 0.0, request: gr.Request = None) -> dict:
    """A sample moved along five directions found without labels (pc1–pc5) and one defined by example.

    Args:
        seed: the sample's seed.
        generator: "digiface" or "fashion-mnist".
        truncation: 0–1.
        pc1: −5 … 5 standard deviations along the first principal direction (likewise pc2–pc5).
        trait_with: seeds of samples that have a trait (needed when trait_amount is not 0).
        trait_without: seeds of samples that lack it.
        trait_amount: −5 … 5 along the trait's direction.
    Returns:
        {"image": the edited sample}
    """
    return {"image": image_out(edit(generator, seed, truncation, pc1, pc2, pc3, pc4, pc5, trait_with, trait_without, trait_amount))}


def api_latent_nearest(image: FileData, generator: latent.GeneratorChoice = latent.WITH_TRAINING_SET[0], request: gr.Request = None) -> dict:
    """"Is it copying?": the five training images nearest to an image (generators trained here only).

    Args:
        image: a PNG/JPEG (gradio_client: handle_file(path)); at most 4096 × 4096 pixels.
        generator: "fashion-mnist" (the face generator's training images are not published).
    Returns:
        {"images": the nearest training images, "labels": class and index of each, "distances": RMS pixel distance of each,
         "typical_distance": how far unseen real images are from their nearest (median), "closer_share": the share of them
         nearer theirs than the image is, "verdict": "copy", "close" or "far" (from that share), "summary": a sentence}
    """
    picture = open_upload(file_in(image, "image"))  # its declared size is checked before decoding
    result, summary = copy_check(picture, generator, language(request))
    return {"images": images_out(result.images), "labels": result.labels, "distances": [round(float(d), 4) for d in result.distances],
            "typical_distance": round(float(result.typical_distance), 4), "closer_share": result.closer_share,
            "verdict": result.verdict, "summary": summary}


def api_latent_compare(generators: Optional[list[latent.GeneratorChoice]] = None, seed: int = 0, count: int = latent.COMPARE_COUNT,
                       truncation: float = TRUNCATION, request: gr.Request = None) -> dict:
    """The same seeds through several generators, with the time each took.

    Args:
        generators: names (default: both).
        seed: the first seed.
        count: samples per generator, 1–32.
        truncation: 0–1.
    Returns:
        {"results": [{"generator", "images", "seeds", "seconds"}, …] in the order asked}
    """
    return {"results": [{"generator": key, **files(r)} for key, r in compare(generators, seed, count, truncation).items()]}


ENDPOINTS = {"latent_samples": api_latent_samples, "latent_arithmetic": api_latent_arithmetic, "latent_interpolate": api_latent_interpolate,
             "latent_edit": api_latent_edit, "latent_nearest": api_latent_nearest, "latent_compare": api_latent_compare}


# -- the page's layout, one section at a time (each adds its components to `ui`) ---------------------
def slider(span: latent.Span, label, **kwargs) -> gr.Slider:
    """A slider over one of the pipeline's ranges, starting at its default."""
    return gr.Slider(span.low, span.high, value=span.default, step=span.step, label=label, **kwargs)


def gallery(label: str, elem_id: str, columns: int = 8, **kwargs) -> gr.Gallery:
    return gr.Gallery(label=t(label), columns=columns, allow_preview=False, format="png", interactive=False, elem_id=elem_id, **kwargs)


def sampling(ui: SimpleNamespace) -> None:
    with gr.Row():
        ui.generator = gr.Dropdown(GENERATOR_CHOICES, value=GENERATOR, label=t("latent.generator"), info=t("latent.generator_info"),
                                   scale=2, min_width=260, elem_id="latent-generator")
        ui.seed = seed_box(0, t("latent.seed"), info=t("latent.seed_info"), elem_id="latent-seed")
        ui.dice = gr.Button(t("latent.random"), scale=0, size="sm")
        ui.count = slider(latent.COUNT, t("latent.count"))
        ui.truncation = slider(latent.TRUNCATION, t("latent.truncation"), info=t("latent.truncation_info"))
    ui.sample_btn = gr.Button(t("latent.sample"), variant="primary")
    ui.status = gr.Markdown(elem_id="latent-status")
    ui.gallery = gallery("latent.samples", "latent-samples", height=160, object_fit="contain")
    ui.target = gr.Radio([(t(TARGET_LABELS[k]) if k in TARGET_LABELS else k, k) for k in CLICK_TARGETS], value="A",
                         label=t("latent.click_target"))


def arithmetic_tab(ui: SimpleNamespace) -> None:
    with gr.Tab(t("latent.arithmetic")):
        gr.Markdown(t("latent.arith_hint"))
        ui.groups, ui.clears = [], []
        with gr.Row():  # groups start empty; clicks fill them; each has its own clear button
            for group in "abc":
                with gr.Column(min_width=120):
                    ui.groups.append(gr.Textbox("", label=t(f"latent.group_{group}"), placeholder=t("latent.groups_placeholder"),
                                                elem_id=f"latent-group-{group}"))
                    ui.clears.append(gr.Button(t("latent.clear"), size="sm", elem_id=f"latent-clear-{group}"))
        ui.arith_btn = gr.Button(t("latent.run_arith"), variant="primary")
        ui.arith_status = gr.Markdown(elem_id="latent-arith-status")
        with gr.Row():  # each group's mean, then the result
            shown = {name: gr.Image(format="png", label=t("latent.result" if name == "image" else f"latent.{name}"), height=160,
                                    interactive=False, elem_id="latent-arith-result" if name == "image" else None,
                                    elem_classes="latent-big")
                     for name in (*ARITHMETIC_FIELDS[1:], "image")}
        ui.arith_images = [shown[name] for name in ARITHMETIC_FIELDS]


def interpolate_tab(ui: SimpleNamespace) -> None:
    with gr.Tab(t("latent.interpolate")):
        with gr.Row():
            ui.seed_a = seed_box(0, t("latent.seed_a"))
            ui.seed_b = seed_box(1, t("latent.seed_b"))
            ui.steps = slider(latent.STEPS, t("latent.steps"))
            ui.mode = gr.Radio([(t(f"latent.mode_{m}"), m) for m in latent.INTERPOLATION_MODES], value=latent.DEFAULT_MODE,
                               label=t("latent.mode"), info=t("latent.mode_info"))
        ui.interp_btn = gr.Button(t("latent.run_interp"), variant="primary")
        ui.interp_status = gr.Markdown(elem_id="latent-interp-status")
        ui.strip = gallery("latent.strip", "latent-strip", height=200, object_fit="contain")


def sliders_tab(ui: SimpleNamespace) -> None:
    with gr.Tab(t("latent.sliders")):
        gr.Markdown(t("latent.sliders_hint"))
        with gr.Row():
            with gr.Column():
                ui.edit_seed = seed_box(0, t("latent.edit_seed"), elem_id="latent-edit-seed")
                ui.pcs = [slider(latent.EDIT, name, info=t("latent.pc_info") if i == 0 else None) for i, name in enumerate(DIRECTION_NAMES)]
                with gr.Row():
                    ui.trait_with = gr.Textbox("", label=t("latent.trait_with"), placeholder="10, 11, 12")
                    ui.trait_without = gr.Textbox("", label=t("latent.trait_without"), placeholder="13, 14, 15")
                ui.trait_amount = slider(latent.EDIT, t("latent.trait_amount"))
            with gr.Column():
                ui.edited = gr.Image(format="png", label=t("latent.edited"), height=256, interactive=False, elem_id="latent-edited",
                                     elem_classes="latent-big")
                ui.edit_status = gr.Markdown(elem_id="latent-edit-status")
                # Only where the training images are here (latent.has_training_set).
                ui.nearest_btn = gr.Button(t("latent.copying"), visible=False, elem_id="latent-nearest")
                ui.nearest_text = gr.Markdown(elem_id="latent-nearest-text")
                ui.nearest = gallery("latent.nearest", "latent-nearest-found", columns=5, elem_classes="full-captions")


def compare_tab(ui: SimpleNamespace) -> None:
    with gr.Tab(t("latent.compare")):
        gr.Markdown(t("latent.compare_hint"))
        ui.which = gr.CheckboxGroup(GENERATOR_CHOICES, value=[key for _, key in GENERATOR_CHOICES], label=t("latent.compare_which"))
        ui.compare_btn = gr.Button(t("latent.run_compare"), variant="primary")
        ui.compare_status = gr.Markdown(elem_id="latent-compare-status")
        ui.compared = gallery("latent.compared", "latent-compared", object_fit="contain",
                              elem_classes="full-captions")  # 8 a row: the count's default


# -- the page's events (private: programs call the typed endpoints) ----------------------------------
def on_click(button: gr.Button, handler: Callable, inputs: list, outputs: list, result: gr.Component) -> None:
    """A button's event: errors in its status line (the last output), then `result` (or the error) scrolled into view."""
    event = button.click(status_line(handler, len(outputs)), inputs, outputs, api_visibility="private", **batched("latent"))
    revealing(event, f"#{result.elem_id}", f"#{outputs[-1].elem_id}")


def sampling_events(demo: gr.Blocks, ui: SimpleNamespace) -> None:
    ui.dice.click(random_seed, outputs=ui.seed, api_visibility="private")
    inputs, outputs = [ui.generator, ui.seed, ui.count, ui.truncation], [ui.gallery, ui.shown_seeds, ui.status]
    # Samples appear when the page opens; errors go to the status line under each action's button.
    gr.on([ui.generator.change, demo.load], status_line(page_samples, 3), inputs, outputs, api_visibility="private",
          **batched("latent"))
    on_click(ui.sample_btn, page_sample_button, inputs, outputs, ui.gallery)
    history.reopens("latent", "tab.latent", inputs, reopened)
    targets = [*ui.groups, ui.seed_a, ui.seed_b, ui.edit_seed, ui.trait_with, ui.trait_without]  # CLICK_TARGETS' order
    ui.gallery.select(pick_sample, [ui.shown_seeds, ui.gallery, ui.target, *targets], [*targets, ui.gallery], api_visibility="private")
    for box, clear in zip(ui.groups, ui.clears):
        clear.click(lambda: "", None, box, api_visibility="private")


def action_events(demo: gr.Blocks, ui: SimpleNamespace) -> None:
    on_click(ui.arith_btn, page_arithmetic, [ui.generator, *ui.groups, ui.truncation], [*ui.arith_images, ui.arith_status],
             ui.arith_images[0])
    on_click(ui.interp_btn, page_interpolate, [ui.generator, ui.seed_a, ui.seed_b, ui.steps, ui.mode, ui.truncation],
             [ui.strip, ui.interp_status], ui.strip)
    edit_inputs = [ui.generator, ui.edit_seed, ui.truncation, *ui.pcs, ui.trait_with, ui.trait_without, ui.trait_amount]
    gr.on(
        [ui.edit_seed.change, *[s.input for s in (*ui.pcs, ui.trait_amount)], ui.generator.change],
        status_line(page_edit, 2), edit_inputs, [ui.edited, ui.edit_status], api_visibility="private",
        trigger_mode="always_last", show_progress="hidden", js=clamped(edit_inputs),  # a number typed past ±5: ±5
        **batched("latent"),
    )
    gr.on([ui.generator.change, demo.load], lambda g: gr.Button(visible=latent.has_training_set(g)), ui.generator, ui.nearest_btn,
          api_visibility="private")
    on_click(ui.nearest_btn, page_nearest, edit_inputs, [ui.nearest, ui.nearest_text, ui.edit_status], ui.nearest_text)
    on_click(ui.compare_btn, page_compare, [ui.which, ui.seed, ui.count, ui.truncation], [ui.compared, ui.compare_status], ui.compared)


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("latent.intro"))
        ui = SimpleNamespace(shown_seeds=gr.State([], time_to_live=3 * 3600))  # the seeds behind the gallery's images, per user
        sampling(ui)
        with gr.Tabs():
            for section in (arithmetic_tab, interpolate_tab, sliders_tab, compare_tab):
                section(ui)
        for name, fn in ENDPOINTS.items():  # published before the page's events, so they own the names
            publish(fn, name, batched("latent"))
        sampling_events(demo, ui)
        action_events(demo, ui)
    return demo
