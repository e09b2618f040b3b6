"""How generative models learn: five families side by side, latent maps, live training, denoising.

Each action is one shared function (`draw_samples`, `compare`, `decode`, `train`; `denoise` in demos/learn_denoise.py)
with two thin renderers: the typed endpoint programs call (/learn_samples, /learn_compare, /learn_decode,
/learn_denoise, the streaming /learn_train), returning named fields, and the page's private event, returning
component updates. The page's text is demos/strings/learn.toml.
"""

from __future__ import annotations

from typing import Iterator, Optional

import gradio as gr
from gradio.components.api_component import Api
import pandas as pd

from demos.api import image_out, images_out, publish
from demos.controls import seed_box
from demos.errors import field_validator, status_line, user_errors
from demos.i18n import add_strings, bilingual, language, progress_in, strings
from demos.limits import watched
from demos.learn_denoise import denoise_section, learn_denoise
from demos.page_js import revealing
from demos.tables import html_table
from pipelines.common.validation import say
from pipelines.learn import pipeline as learn
from pipelines.learn.base import FamilyConfig
from pipelines.learn.families import FAMILIES, FAMILY_NAMES, LATENT_FAMILIES
from pipelines.learn.live import (MAX_LIVE_LATENT, MAX_LIVE_STEPS, MIN_LIVE_STEPS, TIME_CAP, LiveRequest, LiveUpdate,
                                  family_defaults)
from pipelines.learn.pipeline import CompareRequest, DecodeRequest, MapRequest, SamplesRequest, get_pipeline

# demos/strings/learn.toml, its {placeholders} filled with the pipeline's own figures
t, MESSAGES = strings("learn", measured=learn.MEASURED, time_cap=round(TIME_CAP), batch=FamilyConfig.batch_size)
# The family pickers' labels: the pipeline's names of the families (a static table: Gradio translates them in the browser).
add_strings(*bilingual({f"learn.family.{key}": (str(name), say(name, "ko")) for key, name in FAMILY_NAMES.items()}))
FAMILY_CHOICES = [(t(f"learn.family.{key}"), key) for key in FAMILIES]
DEFAULT_FAMILY = "dcgan"
DATASET_CHOICES = [("Digits · 숫자 (MNIST)", "mnist"), ("Clothes · 옷 (Fashion-MNIST)", "fashion-mnist")]
# The page's measured table, column by column (the API's field names); its headings are MESSAGES' "column.<i>".
TABLE_COLUMNS = ("family", "training_cpu_seconds", "samples_per_second", "confident", "frechet", "class_entropy", "recall",
                 "nearest_train", "test_nearest_train")
TRAIN_QUEUE = dict(concurrency_id="learn_train", concurrency_limit=2)  # two trainings at a time in the whole app


# -- one shared function per action ----------------------------------------------------------------
def draw_samples(family, dataset, count, seed) -> learn.Samples:
    return get_pipeline().samples(SamplesRequest(family=family, dataset=dataset, count=count, seed=seed))


def compare(dataset, seed, report=None) -> learn.Comparison:
    """Every family measured on `dataset` (kept by the pipeline: the page and the API share it)."""
    return get_pipeline().compare(CompareRequest(dataset=dataset, seed=seed), progress=watched(report))


def decode(family, dataset, x, y, x2=None, y2=None, frames=DecodeRequest.frames) -> learn.Decoded:
    return get_pipeline().decode(DecodeRequest(family=family, dataset=dataset, x=x, y=y, x2=x2, y2=y2, frames=frames))


def train(request, family, dataset, lr, latent_dim, steps, seed, resume: bool = False) -> Iterator[LiveUpdate]:
    """The session's training (from scratch; with `resume`, its model `steps` more), an update every few seconds."""
    training = LiveRequest(family=family, dataset=dataset, lr=lr, latent_dim=latent_dim, steps=steps, seed=seed)
    return get_pipeline().train(_session_id(request), training, resume=resume)


def status_text(update: LiveUpdate, lang: str) -> str:
    state = MESSAGES(f"state.{update.status}", lang) if f"state.{update.status}" in MESSAGES else update.status
    return MESSAGES("status", lang, state=state, step=update.step, target=update.target, elapsed=update.elapsed,
                    cpu=update.cpu_seconds)


def _session_id(request: gr.Request) -> str:
    return request.session_hash or "anonymous"


# -- the public API: typed functions returning named fields ----------------------------------------
def _measures(m: learn.Measures) -> dict:
    return {"confident": round(m.confident, 3), "frechet": round(m.frechet, 2), "class_entropy": round(m.class_entropy, 3),
            "recall": round(m.recall, 3), "nearest_train": round(m.nearest_train, 3),
            "test_nearest_train": round(m.test_nearest_train, 3)}


def learn_samples(family: learn.FamilyChoice, dataset: learn.DatasetChoice, count: int = SamplesRequest.count, seed: int = 0,
                  request: gr.Request = None) -> dict:
    """Draw `count` samples from one family's shipped model.

    family: pixel, autoencoder, vae, gan, dcgan or diffusion. dataset: mnist or fashion-mnist.
    Returns {"images": [PNG files, 28×28], "seconds": time to sample, "family", "dataset", "seed"}.
    """
    result = draw_samples(family, dataset, count, seed)
    return {"images": images_out(result.images), "seconds": round(result.seconds, 4), "family": family, "dataset": dataset,
            "seed": seed}


def learn_compare(dataset: learn.DatasetChoice, seed: int = 0, request: gr.Request = None) -> dict:
    """Every family on one dataset: 8 samples each and the measured table (250 samples per family).

    Returns {"rows": [{"family", "images": [8 PNG files], "measures": {...}}], "table": [the measures],
    "real": the same measures for 250 held-out real images (the best reachable),
    "verdicts": [sentences: where the measurements agree with the opinion slide, in the request's language]}.
    """
    result = compare(dataset, seed)
    rows = [{"family": r.family, "images": images_out(r.images),
             "measures": {"family": r.family, "training_cpu_seconds": r.training_cpu_seconds, "training_steps": r.training_steps,
                          "samples_per_second": round(r.samples_per_second, 1), **_measures(r.measures)}} for r in result.rows]
    return {"dataset": dataset, "seed": seed, "rows": rows, "table": [r["measures"] for r in rows],
            "real": _measures(result.real), "verdicts": [say(v, language(request)) for v in result.verdicts]}


def learn_decode(family: learn.MapFamilyChoice, dataset: learn.DatasetChoice, x: float, y: float, x2: Optional[float] = None,
                 y2: Optional[float] = None, frames: int = DecodeRequest.frames, request: gr.Request = None) -> dict:
    """Decode the 2-D latent point (x, y) of the autoencoder or the VAE; with (x2, y2), a strip of
    `frames` images along the line between the two points.

    Returns {"image": PNG of (x, y), "images": [the strip, or just that image], "map": the latent map with the points marked}.
    """
    result = decode(family, dataset, x, y, x2, y2, frames)
    files = images_out([*result.images, result.map_image])
    return {"image": files[0], "images": files[:-1], "map": files[-1], "points": result.points}


def api_learn_train(family, dataset, lr, latent_dim, steps, seed, request: gr.Request = None):
    """Train a family from scratch, streaming a result every few seconds (one training per client session,
    at most 90 s and 5,000 steps a call). Each result: {"grid": PNG of 16 samples, "losses": [[step, loss]],
    "status": a line in the request's language, "step", "target"}."""
    lang = language(request)
    for update in train(request, family, dataset, lr, latent_dim, steps, seed):
        yield {"grid": image_out(update.grid, f"train_{update.step}") if update.grid is not None else None,
               "losses": [list(p) for p in update.losses or []], "status": status_text(update, lang), "step": update.step,
               "target": update.target}


def publish_training() -> None:
    """/learn_train for programs: the page's training through a hidden button with typed pass-through inputs and one
    named result, in the page's training queue (call inside the tab's Blocks)."""
    api_inputs = [Api(None, {"type": "string", "enum": list(FAMILIES)}, label="family"),
                  Api(None, {"type": "string", "enum": list(learn.DATASETS)}, label="dataset"),
                  Api(None, {"type": "number"}, label="lr"), Api(None, {"type": "integer"}, label="latent_dim"),
                  Api(None, {"type": "integer"}, label="steps"), Api(0, {"type": "integer"}, label="seed")]
    gr.Button(visible=False).click(user_errors(api_learn_train), api_inputs, Api(None, {"type": "object"}, label="result"),
                                   api_name="learn_train", **TRAIN_QUEUE)


# -- the page's handlers (private events) ----------------------------------------------------------
@user_errors
def show_samples(family, dataset, count, seed, request: gr.Request = None):
    lang = language(request)
    images, name = draw_samples(family, dataset, count, seed).images, say(FAMILY_NAMES[family], lang)
    return [(im, MESSAGES("caption", lang, family=name, index=i)) for i, im in enumerate(images)]


def _table(result: learn.Comparison, lang: str) -> str:
    """The measured table, a row per family and one for real images, as HTML (not a gr.Dataframe: on a phone its
    9 columns become one card per family instead of running off screen)."""
    def cells(m: learn.Measures) -> list:
        return [round(100 * m.confident, 1), round(m.frechet, 1), round(m.class_entropy, 2), round(m.recall, 2),
                round(m.nearest_train, 3), round(m.test_nearest_train, 3)]

    rows = [[say(FAMILY_NAMES[r.family], lang), r.training_cpu_seconds, round(r.samples_per_second), *cells(r.measures)]
            for r in result.rows]
    rows.append([MESSAGES("real", lang), None, None, *cells(result.real)])
    return html_table([MESSAGES(f"column.{i}", lang) for i in range(len(TABLE_COLUMNS))], rows)


@user_errors
def show_compare(dataset, seed, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    result = compare(dataset, seed, progress_in(progress, lang))
    # one row per family, named once at its start: a caption on every tile would cover every sample
    tiles = [(im, None if i else say(FAMILY_NAMES[r.family], lang)) for r in result.rows for i, im in enumerate(r.images)]
    notes = "\n".join(f"- {say(v, lang)}" for v in result.verdicts)
    # The gallery and the table stay hidden until there is something in them (no large empty boxes).
    return (gr.Gallery(tiles, visible=True), gr.HTML(_table(result, lang), visible=True),
            f"{MESSAGES('verdict.title', lang, within=learn.WITHIN)}\n{notes}")


@user_errors
def show_maps(dataset, request: gr.Request = None):  # the request: its errors in the page's language
    """The maps, their clicked points forgotten, and the flag that they are drawn."""
    maps = [get_pipeline().latent_map(MapRequest(family=family, dataset=dataset)).image for family in LATENT_FAMILIES]
    return maps + [None] * len(LATENT_FAMILIES) + [True]


def first_maps(drawn, dataset, request: gr.Request = None):
    """Opening the Latent map tab draws the maps the first time; coming back keeps the line the user clicked."""
    return [gr.skip()] * (2 * len(LATENT_FAMILIES) + 1) if drawn else show_maps(dataset, request)


def click_map(family: str):
    @user_errors
    def handler(dataset, last_point, evt: gr.SelectData, request: gr.Request = None):
        x, y = get_pipeline().latent_map(MapRequest(family=family, dataset=dataset)).to_latent(*evt.index)
        (x1, y1), (x2, y2) = (last_point, (x, y)) if last_point else ((x, y), (None, None))
        result = decode(family, dataset, x1, y1, x2, y2)
        strip = [(im, "") for im in result.images] if last_point else None
        return result.map_image, result.images[-1], strip, (x, y)

    return handler


def _live_outputs(update: LiveUpdate, session_id: str, lang: str = "en", first: bool = False):
    curve = pd.DataFrame(update.losses or [(0, float("nan"))], columns=["step", "loss"])
    # The note under the buttons is about a press refused while this training runs: it lasts while the training does,
    # and a training's first and last updates clear it (its own press may have been checked as it started).
    notice = "" if first or update.status != "training" else gr.skip()
    return (gr.Image(update.grid, visible=True), gr.LinePlot(curve, visible=True),  # shown from the first
            status_text(update, lang), session_id, notice)


@user_errors
def train_live(family: str, dataset: str, lr: float, latent_dim: int, steps: int, seed: int, request: gr.Request,
               evt: gr.EventData):
    """Train: a family from scratch; Continue: the session's model `steps` more (its family and dataset stay as
    trained). One training per session, at most 90 s and 5,000 steps a press, streaming (sample grid, loss curve,
    status) every few seconds."""
    sid, lang, resume = _session_id(request), language(request), getattr(evt.target, "elem_id", None) == "learn-continue"
    for i, update in enumerate(train(request, family, dataset, lr, latent_dim, steps, seed, resume=resume)):
        yield _live_outputs(update, sid, lang, first=i == 0)


def stop_live(request: gr.Request):
    get_pipeline().stop_training(_session_id(request))


def reset_live(request: gr.Request):
    get_pipeline().drop_training(_session_id(request))
    return None, None, "", ""


def busy_note(request: gr.Request):
    """Train or Continue pressed while this session's training runs: the page drops the press (its event is still
    running), so this quick check, outside the queue, says why at once (or clears an old note)."""
    try:
        get_pipeline().check_training_free(_session_id(request))
    except ValueError as exc:
        return f"⚠️ {say(exc, language(request))}"
    return ""


# -- the page: one builder per inner tab, each wiring its own events --------------------------------
# Each button's result, or its message, is brought into view once it is there (a phone stacks them far down).
def compare_section(dataset: gr.Dropdown, seed: gr.Number) -> None:
    gr.Markdown(t("learn.compare_hint"))
    button = gr.Button(t("learn.run_compare"), variant="primary")
    status = gr.Markdown(elem_id="learn-compare-status")  # a failed action says why here
    # no height: all six rows show at once, none hidden in a scroll box (app.py's CSS sizes the tiles)
    compared = gr.Gallery(label=t("learn.compared"), columns=learn.SHOWN, allow_preview=False, format="png",
                          object_fit="contain", visible=False, elem_id="learn-compared")
    table = gr.HTML(label=t("learn.table"), show_label=True, container=True, visible=False, elem_id="learn-table",
                    js_on_load=None)  # a table to read: none of Gradio's default script, which reports every click on it
    verdict = gr.Markdown()
    revealing(button.click(status_line(show_compare, 4), [dataset, seed], [compared, table, verdict, status],
                           api_visibility="private"), "#learn-compared", "#learn-compare-status")
    with gr.Accordion(t("learn.one_family"), open=False):
        samples_section(dataset, seed)


def samples_section(dataset: gr.Dropdown, seed: gr.Number) -> None:
    with gr.Row():
        family = gr.Dropdown(FAMILY_CHOICES, value=DEFAULT_FAMILY, label=t("learn.family"), info=t("learn.family_info"))
        count = gr.Slider(1, learn.MAX_SAMPLES, value=SamplesRequest.count, step=1, label=t("learn.count"))
    button = gr.Button(t("learn.sample"))
    status = gr.Markdown(elem_id="learn-sample-status")
    samples = gr.Gallery(label=t("learn.samples"), columns=8, height=260, allow_preview=False, format="png",
                         object_fit="contain", elem_id="learn-samples")
    revealing(button.click(status_line(show_samples, 2), [family, dataset, count, seed], [samples, status],
                           api_visibility="private"), "#learn-samples", "#learn-sample-status")


def maps_section(tab: gr.Tab, dataset: gr.Dropdown) -> None:
    """The latent maps: drawn as the tab first opens (they are quick) and again for another dataset."""
    gr.Markdown(t("learn.maps_hint"))
    button = gr.Button(t("learn.draw_maps"), variant="primary")
    status = gr.Markdown(elem_id="learn-maps-status")
    with gr.Row():
        maps, decoded, lasts = [], [], []
        for key in LATENT_FAMILIES:
            with gr.Column():
                maps.append(gr.Image(label=t(f"learn.map_{'ae' if key == 'autoencoder' else key}"), type="pil", format="png",
                                     interactive=False, height=500, elem_id=f"learn-map-{key}"))
                decoded.append(gr.Image(label=t("learn.decoded"), format="png", height=120, elem_classes="latent-big",
                                        elem_id=f"learn-decoded-{key}"))
                lasts.append(gr.State(None))  # the previous click on this map, for the line
    drawn = gr.State(False)
    strips = [gr.Gallery(label=t("learn.strip"), columns=8, height=110, allow_preview=False, format="png") for _ in LATENT_FAMILIES]
    outputs = maps + lasts + [drawn, status]
    revealing(gr.on([button.click, dataset.change], status_line(show_maps, len(outputs)), dataset, outputs,
                    api_visibility="private"), "#learn-map-autoencoder", "#learn-maps-status")
    tab.select(status_line(first_maps, len(outputs)), [drawn, dataset], outputs, api_visibility="private")
    for key, image, out, strip, last in zip(LATENT_FAMILIES, maps, decoded, strips, lasts):
        image.select(status_line(click_map(key), 5), [dataset, last], [image, out, strip, last, status], api_visibility="private")


def train_section(dataset: gr.Dropdown, seed: gr.Number) -> None:
    """Train it yourself: in its own queue (TRAIN_QUEUE), so it never starves other tabs."""
    gr.Markdown(t("learn.train_hint"))
    lr_default, latent_default = family_defaults(DEFAULT_FAMILY)
    with gr.Row():
        family = gr.Dropdown(FAMILY_CHOICES, value=DEFAULT_FAMILY, label=t("learn.family"), info=t("learn.family_info"))
        lr = gr.Number(lr_default, label=t("learn.lr"), info=t("learn.lr_info"), elem_id="learn-lr")
        latent_dim = gr.Slider(1, MAX_LIVE_LATENT, value=latent_default, step=1, label=t("learn.latent"), info=t("learn.latent_info"))
        steps = gr.Slider(MIN_LIVE_STEPS, MAX_LIVE_STEPS, value=LiveRequest.steps, step=10, label=t("learn.steps"),
                          info=t("learn.steps_info"), elem_id="learn-steps")
    with gr.Row():
        start = gr.Button(t("learn.start"), variant="primary", elem_id="learn-train")
        more = gr.Button(t("learn.continue"), elem_id="learn-continue")  # train_live reads the id
        stop, reset = gr.Button(t("learn.stop"), variant="stop"), gr.Button(t("learn.reset"))
    status, notice = gr.Markdown(elem_id="learn-status"), gr.Markdown(elem_id="learn-notice")  # notice: a press refused
    with gr.Row():
        grid = gr.Image(label=t("learn.grid"), format="png", height=300, elem_id="learn-grid", visible=False)
        curve = gr.LinePlot(x="step", y="loss", label=t("learn.loss"), height=300, visible=False)
    # the session's model is dropped when the page closes or after an idle hour
    session = gr.State(None, time_to_live=3600, delete_callback=get_pipeline().drop_training)

    family.input(family_defaults, family, [lr, latent_dim], api_visibility="private")
    # Bad settings are explained under their control as Train is pressed, not after waiting for a free slot.
    checked = field_validator(LiveRequest, ["family", "dataset", "learning rate", "latent size", "steps", "seed"])
    # One event for Train and Continue: a press of either while it runs is dropped by the page, and busy_note says
    # why, once (a second event would queue, and be refused in the status line as well).
    training = gr.on([start.click, more.click], status_line(train_live, 5, status=2, separate=False),
                     [family, dataset, lr, latent_dim, steps, seed], [grid, curve, status, session, notice],
                     api_visibility="private", validator=checked, **TRAIN_QUEUE)
    revealing(training, "#learn-grid", "#learn-status")
    # Stop asks the training to end after its current slice: it sends one last "stopped" update and ends cleanly
    # (cancelling the event instead would leave "Error" pills on the grid, the curve and the status line).
    stop.click(stop_live, None, None, api_visibility="private", queue=False)
    reset.click(reset_live, None, [grid, curve, status, notice], cancels=[training], api_visibility="private", queue=False)
    for button in (start, more):  # a press while the training runs is dropped by the page: say why, without queueing
        button.click(busy_note, None, notice, queue=False, trigger_mode="multiple", show_progress="hidden", api_visibility="private")


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("learn.intro"))
        with gr.Row():
            dataset = gr.Dropdown(DATASET_CHOICES, value="mnist", label=t("learn.dataset"), info=t("learn.dataset_info"),
                                  elem_id="learn-dataset")
            seed = seed_box(0, t("learn.seed"), info=t("learn.seed_info"), elem_id="learn-seed")
        with gr.Tabs():
            with gr.Tab(t("learn.compare")):
                compare_section(dataset, seed)
            with gr.Tab(t("learn.maps")) as maps_tab:
                maps_section(maps_tab, dataset)
            with gr.Tab(t("learn.train")):
                train_section(dataset, seed)
            with gr.Tab(t("learn.denoise")) as denoise_tab:
                denoise_section(denoise_tab, seed)
        # Public API: typed functions, one per action; the page's events above are private.
        for fn in (learn_samples, learn_compare, learn_decode, learn_denoise):
            publish(fn, fn.__name__)
        publish_training()
    return demo
