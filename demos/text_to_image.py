"""Text → Image tab: a prompt → Stable Diffusion (hub id, folder or file) or the embedded emoji model."""

from __future__ import annotations

from typing import Optional, Union

import gradio as gr

from demos.api import file_out, publish
from demos.controls import seed_box
from demos.errors import inform, status_line, user_errors, warn
from demos.i18n import Messages, add_strings, bilingual, language, progress_in
from demos.limits import watched
from demos.page_js import revealing
from pipelines.common.images import text_tile
from pipelines.common.validation import say
from pipelines.text_to_image.backends import EMBEDDED, default_model, get_backend, model_notes
from pipelines.text_to_image.metadata import FIELDS as PNG_FIELDS, read_settings
from pipelines.text_to_image.pipeline import get_pipeline
from pipelines.text_to_image.request import (MAX_COMPARE, MAX_IMAGES, MIN_STRENGTH, STYLE_AUTO, CompareRequest,
                                             ImageRequest, StyleChoice)
from pipelines.text_to_image.schedulers import SCHEDULER_CHOICES, SchedulerChoice
from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline
from pipelines.common.emoji_diffusion.prior import DEFAULT_STRENGTH
from pipelines.common.emoji_diffusion.styles import STYLE_NAMES, STYLES

EN = {
    "image.intro": "## Text → Image\nDescribe a picture in English or Korean. **Emoji diffusion** is Stable Diffusion's "
    "recipe in miniature, trained here on a laptop-class CPU on about 1,900 emoji in seven freely licensed styles: it works "
    "offline and draws 64-pixel emoji of what you name (\"red apple\", \"고양이 얼굴\"); pick a style or name one in the "
    "prompt (\"rocket, openmoji style\"). Its layout prior sketches the picture from your words and the diffusion model "
    "finishes it, so emoji names work best; free descriptions get the nearest emoji. Stable Diffusion models run where "
    "their weights are downloaded (on a Space).",
    "image.prompt": "Prompt",
    "image.prompt_placeholder": "e.g. red heart / 빨간색 하트 / a slice of pizza",
    "image.negative": "Negative prompt",
    "image.negative_placeholder": "what to steer away from (optional)",
    "image.model": "Model",
    "image.model_info": "Pick one, or type a hub id, a local folder or a .safetensors file.",
    "image.embedded": "Emoji diffusion (embedded, offline)",
    "image.note_offline": " — not downloaded (offline)",
    "image.note_download": " — downloads on first use",
    "image.auto": "auto",
    "image.default": "default",
    "image.generate": "Generate",
    "image.advanced": "Advanced",
    "image.steps": "Steps",
    "image.guidance": "Guidance",
    "image.width": "Width",
    "image.height": "Height",
    "image.seed": "Seed",
    "image.seed_info": "-1 = random; the seed used is shown below the images.",
    "image.count": "Number of images",
    "image.scheduler": "Scheduler",
    "image.scheduler_info": "'default' = the model's own.",
    "image.style": "Style",
    "image.style_info": "How the emoji model draws. 'auto' = a style named in the prompt, else Noto.",
    "image.strength": "Strength",
    "image.strength_info": "How much of the drawing the emoji model redoes from its first sketch: low keeps the sketch "
                           "(quick, and what was asked), 1 starts from pure noise (slow, freer).",
    "image.gallery": "Images",
    "image.settings": "Settings used",
    "image.png": "Drop a PNG made here to load its settings",
    "image.compare_title": "### Side by side\nOne prompt and seed across models, step counts or schedulers. The emoji "
    "model finishes its sketch in the last steps only (strength × steps: 3 of 10), so its pictures change little with the "
    "step count; each caption says how many ran.",
    "image.compare_models": "Models",
    "image.compare_steps": "Step counts (comma-separated; empty = each model's default)",
    "image.compare_schedulers": "Schedulers",
    "image.compare": "Compare",
    "image.compare_gallery": "Comparison",
    "image.compare_grid": "Grid (PNG)",
}
KO = {
    "image.intro": "## 글 → 그림\n그림을 영어나 한국어로 묘사해 보세요. **이모지 확산** 모델은 Stable Diffusion의 방식을 "
    "작게 줄여, 자유 라이선스인 일곱 가지 스타일의 이모지 약 1,900개로 이곳의 노트북급 CPU에서 학습한 모델입니다. 인터넷 없이 "
    "말한 것을 64픽셀 이모지로 그리며(\"빨간 사과\", \"cat face\"), 스타일을 고르거나 프롬프트에 적을 수 있습니다"
    "(\"로켓, 오픈모지 스타일\"). 레이아웃 사전 모델이 글에서 밑그림을 잡고 확산 모델이 마무리하므로, 이모지 이름이 가장 잘 "
    "통하고 자유로운 묘사에는 가장 가까운 이모지를 그립니다. Stable Diffusion 모델은 가중치를 내려받은 곳(Space)에서 동작합니다.",
    "image.prompt": "프롬프트",
    "image.prompt_placeholder": "예: 빨간색 하트 / red heart / 피자 조각",
    "image.negative": "네거티브 프롬프트",
    "image.negative_placeholder": "피하고 싶은 것 (선택)",
    "image.model": "모델",
    "image.model_info": "고르거나, 허브 id·로컬 폴더·.safetensors 파일을 입력하세요.",
    "image.embedded": "이모지 확산 (내장, 오프라인)",
    "image.note_offline": " — 내려받지 않음 (오프라인)",
    "image.note_download": " — 처음 쓸 때 내려받음",
    "image.auto": "자동",
    "image.default": "기본값",
    "image.generate": "생성",
    "image.advanced": "고급 설정",
    "image.steps": "단계 수",
    "image.guidance": "가이던스",
    "image.width": "너비",
    "image.height": "높이",
    "image.seed": "시드",
    "image.seed_info": "-1 = 무작위. 사용한 시드는 그림 아래에 표시됩니다.",
    "image.count": "그림 수",
    "image.scheduler": "스케줄러",
    "image.scheduler_info": "'기본값' = 모델 자체의 스케줄러.",
    "image.style": "스타일",
    "image.style_info": "이모지 모델의 그림체. '자동' = 프롬프트에 적은 스타일, 없으면 노토.",
    "image.strength": "강도",
    "image.strength_info": "이모지 모델이 첫 밑그림에서 얼마나 다시 그릴지: 낮으면 밑그림을 따르고(빠르고 말한 그대로), "
                           "1이면 순수한 잡음에서 시작합니다(느리고 더 자유롭게).",
    "image.gallery": "그림",
    "image.settings": "사용한 설정",
    "image.png": "이곳에서 만든 PNG를 놓으면 설정을 불러옵니다",
    "image.compare_title": "### 나란히 비교\n같은 프롬프트와 시드로 모델·단계 수·스케줄러를 비교합니다. 이모지 모델은 "
    "밑그림을 마지막 단계들에서만 다듬으므로(강도 × 단계 수: 10단계 중 3단계) 단계 수에 따라 그림이 크게 달라지지 않습니다. "
    "그림마다 아래에 실제로 실행한 단계 수가 적혀 있습니다.",
    "image.compare_models": "모델",
    "image.compare_steps": "단계 수 (쉼표로 구분, 비우면 모델 기본값)",
    "image.compare_schedulers": "스케줄러",
    "image.compare": "비교",
    "image.compare_gallery": "비교 결과",
    "image.compare_grid": "격자 (PNG)",
}
t = add_strings(EN, KO)
add_strings(*bilingual({f"style.{key}": names for key, names in STYLE_NAMES.items()}))  # the style picker's names

# What the tab writes while running, in the request's language.
MESSAGES = Messages(
    en={"summary": "**Seed {seeds}** · {model} · {steps} steps{start} · guidance {guidance} · {width}×{height} · {seconds:.2f} s",
        "strength": "strength {value} ({run} steps run)",
        "seed_range": "{first}–{last} (one per image)", "caption": "seed {seed}", "loaded": "Settings loaded from the PNG.",
        "not_loaded": "Nothing was loaded from that file: {reason}", "unavailable": "{label}: unavailable ({reason})"},
    ko={"summary": "**시드 {seeds}** · {model} · {steps}단계{start} · 가이던스 {guidance} · {width}×{height} · {seconds:.2f}초",
        "strength": "강도 {value} ({run}단계 실행)",
        "seed_range": "{first}–{last} (그림마다 하나)", "caption": "시드 {seed}", "loaded": "PNG에서 설정을 불러왔습니다.",
        "not_loaded": "그 파일에서 불러온 설정이 없습니다: {reason}", "unavailable": "{label}: 실행할 수 없음 ({reason})"},
)

EXAMPLES = [
    ["red apple", "", 7], ["cat face, openmoji style", "", 3], ["pizza, fluent 3d style", "", 11], ["rocket", "", 5],
    ["빨간 하트", "", 7], ["고양이 얼굴", "", 2], ["해바라기, 트위모지 스타일", "", 4], ["green apple", "", 1],
]
STYLE_CHOICES = [(t("image.auto"), STYLE_AUTO)] + [(t(f"style.{s}"), s) for s in STYLES]
SCHEDULER_LABELS = [(t("image.default") if name == "default" else name, name) for name in SCHEDULER_CHOICES]
SIZE_RANGE = (32, 1024)  # the sliders' outer bounds for a Stable Diffusion default; each model's own bounds are checked by the pipeline
EMBEDDED_SIZES = (32, 128)  # the embedded model's bounds (its 64 px training size, half to twice that), before it loads


def model_picker() -> list[tuple]:
    """The models to pick from, named in the page's language (Gradio translates the keys in the browser)."""
    notes = {"": "", "offline": t("image.note_offline"), "download": t("image.note_download")}
    return [(t("image.embedded"), EMBEDDED)] + [(spec + notes[note] if note else spec, spec) for spec, note in model_notes()]


def describe(result, lang: str = "en") -> str:
    seeds = result.seeds[0] if len(result.seeds) == 1 else MESSAGES("seed_range", lang, first=result.seeds[0], last=result.seeds[-1])
    used = result.request
    style = f" · {STYLE_NAMES[used.style][lang == 'ko']}" if used.style else ""
    start = ""  # the emoji model: how many of the steps asked ran from its sketch
    if used.strength is not None:
        run = EmojiDiffusionPipeline.steps_run(used.steps, used.strength)
        start = f" · {MESSAGES('strength', lang, value=used.strength, run=run)}"
    line = MESSAGES("summary", lang, seeds=seeds, model=used.model + style, steps=used.steps, start=start,
                    guidance=used.guidance, width=used.width, height=used.height, seconds=result.seconds)
    return "\n\n".join([line] + [f"⚠️ {say(n, lang)}" for n in result.notices])


@user_errors
def text_to_image(prompt, negative_prompt, model, steps, guidance, width, height, seed, num_images,
                  scheduler="default", style=STYLE_AUTO, strength=None, request: gr.Request = None,
                  progress=gr.Progress(track_tqdm=True)):
    lang = language(request)
    image_request = ImageRequest.from_user(prompt=prompt, negative_prompt=negative_prompt, model=model, steps=steps,
                                           guidance=guidance, width=width, height=height, seed=seed,
                                           num_images=num_images, scheduler=scheduler, style=style, strength=strength)
    result = get_pipeline().generate(image_request, progress=watched(progress_in(progress, lang)))
    gallery = [(str(f), MESSAGES("caption", lang, seed=s)) for f, s in zip(result.files, result.seeds)]
    return gallery, result.settings, describe(result, lang)


@user_errors
def compare_images(prompt, models, seed, steps, schedulers=None, request: gr.Request = None,
                   progress=gr.Progress(track_tqdm=True)):
    lang = language(request)
    compare_request = CompareRequest.from_user(prompt=prompt, models=models, seed=seed, steps=steps, schedulers=schedulers)
    result = get_pipeline().compare(compare_request, progress=watched(progress_in(progress, lang)), lang=lang)
    gallery = [(str(c.file), say(c.label, lang)) for c in result.cells if c.file]
    # A model that could not run gets a tile saying why, in place of its picture.
    gallery += [(text_tile(MESSAGES("unavailable", lang, label=say(c.label, lang), reason=say(c.error, lang))),
                 say(c.label, lang)) for c in result.cells if not c.file]
    return gallery, str(result.grid_file)


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
    image_request = ImageRequest.from_user(prompt=prompt, negative_prompt=negative_prompt, model=model, steps=steps,
                                           guidance=guidance, width=width, height=height, seed=seed,
                                           num_images=num_images, scheduler=scheduler, style=style, strength=strength)
    result = get_pipeline().generate(image_request, progress=watched())  # stops when the client goes away
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
    compare_request = CompareRequest.from_user(prompt=prompt, models=[EMBEDDED] if models is None else models, seed=seed,
                                               steps=steps, schedulers=schedulers)
    lang = language(request)
    result = get_pipeline().compare(compare_request, progress=watched(), lang=lang)
    cells = [{"label": say(c.label, lang), "image": file_out(c.file), "seconds": round(c.seconds, 3),
              "error": say(c.error, lang) or None} for c in result.cells]
    return {"images": cells, "grid": file_out(result.grid_file), "seed": result.seed}


@user_errors
def model_defaults(model, request: gr.Request = None, progress=gr.Progress()):
    """Load the picked model and set the controls to its defaults (an unavailable one: say why, keep the embedded)."""
    try:
        backend = get_pipeline().load(model)  # the same checks as a request: no loading from arbitrary paths
    except ValueError as exc:
        warn(say(exc, language(request)), language(request))
        backend = get_backend(EMBEDDED)
    limits = backend.limits
    return (backend.name, gr.update(value=limits.default_steps, maximum=limits.max_steps),
            gr.update(value=limits.default_guidance, maximum=limits.max_guidance),
            *[gr.update(value=limits.default_size, minimum=limits.min_size, maximum=limits.max_size,
                        step=limits.size_multiple)] * 2, limits.suggested_images,
            gr.update(value=STYLE_AUTO, visible=bool(limits.styles)),  # only the emoji model has styles
            gr.update(value=limits.default_strength or 1.0, visible=limits.default_strength is not None))  # and a sketch


def load_png(path, request: gr.Request = None):
    """Settings from a dropped PNG into the controls; fields missing, or dropped by read_settings (wrong type,
    range or choice), are left as they are. A file without settings changes nothing and says why (a warning,
    not an error on every control)."""
    lang = language(request)
    if not path:
        return [gr.update()] * len(PNG_FIELDS)
    try:
        settings = read_settings(path)
    except ValueError as exc:
        warn(MESSAGES("not_loaded", lang, reason=say(exc, lang)), lang)
        return [gr.update()] * len(PNG_FIELDS)
    inform(MESSAGES("loaded", lang), lang)
    if settings.get("model", EMBEDDED) != EMBEDDED:  # SD starts from pure noise (an A1111 "Denoising strength"
        settings["strength"] = 1.0  # is its img2img's or hires fix's, not a start this app's SD takes)
    elif "model" in settings:
        settings.setdefault("strength", DEFAULT_STRENGTH)  # made before the start was recorded: the default then
    return [settings[k] if k in settings else gr.update() for k in PNG_FIELDS]


def build() -> gr.Blocks:
    choices = model_picker()
    with gr.Blocks() as demo:
        gr.Markdown(t("image.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                prompt = gr.Textbox(label=t("image.prompt"), placeholder=t("image.prompt_placeholder"), lines=2,
                                    elem_id="image-prompt")
                negative = gr.Textbox(label=t("image.negative"), placeholder=t("image.negative_placeholder"))
                with gr.Row():
                    model = gr.Dropdown(choices, value=default_model(), label=t("image.model"),
                                        info=t("image.model_info"), allow_custom_value=True, scale=3, elem_id="image-model")
                    style = gr.Dropdown(STYLE_CHOICES, value=STYLE_AUTO, label=t("image.style"),
                                        info=t("image.style_info"), scale=2, elem_id="image-style")
                    count = gr.Slider(1, MAX_IMAGES, value=4, step=1, label=t("image.count"), scale=2)
                with gr.Accordion(t("image.advanced"), open=False, elem_id="image-advanced"):
                    with gr.Row():
                        steps = gr.Slider(1, 150, value=25, step=1, label=t("image.steps"))
                        guidance = gr.Slider(0, 20, value=5.0, step=0.5, label=t("image.guidance"))
                        scheduler = gr.Dropdown(SCHEDULER_LABELS, value="default", label=t("image.scheduler"),
                                                info=t("image.scheduler_info"))
                        strength = gr.Slider(MIN_STRENGTH, 1.0, value=DEFAULT_STRENGTH, step=0.05, label=t("image.strength"),
                                             info=t("image.strength_info"), visible=default_model() == EMBEDDED,
                                             elem_id="image-strength")
                    with gr.Row():
                        # Only sizes the chosen model takes: its bounds, in its steps (model_defaults updates them).
                        sizes, step = (EMBEDDED_SIZES, 16) if default_model() == EMBEDDED else (SIZE_RANGE, 8)
                        width = gr.Slider(*sizes, value=64, step=step, label=t("image.width"))
                        height = gr.Slider(*sizes, value=64, step=step, label=t("image.height"))
                        seed = seed_box(-1, t("image.seed"), info=t("image.seed_info"), elem_id="image-seed")
                generate = gr.Button(t("image.generate"), variant="primary", elem_id="image-generate")
                status = gr.Markdown(elem_id="image-status")  # a failed action says why here, beside its button
            with gr.Column(scale=3):
                gallery = gr.Gallery(label=t("image.gallery"), columns=4, object_fit="contain", format="png", height=330,
                                     elem_id="image-gallery", elem_classes="latent-big")
                info = gr.Markdown(elem_id="image-info")
                with gr.Accordion(t("image.settings"), open=False):  # the raw JSON, for those who want it
                    settings = gr.JSON(show_label=False)
                # After the pictures: a phone stacks the columns, and the pictures come first.
                png = gr.File(label=t("image.png"), file_types=[".png"], type="filepath", height=130, elem_id="image-png")
        gr.Examples(EXAMPLES, [prompt, negative, seed], label="Examples · 예시",
                    example_labels=[p for p, _, _ in EXAMPLES])

        gr.Markdown(t("image.compare_title"))
        with gr.Row():
            compare_models = gr.CheckboxGroup(choices, value=[EMBEDDED], label=t("image.compare_models"))
            compare_steps = gr.Textbox("10, 25, 50", label=t("image.compare_steps"))
            compare_schedulers = gr.CheckboxGroup(SCHEDULER_LABELS, value=["default"],
                                                  label=t("image.compare_schedulers"))
        compare = gr.Button(t("image.compare"), elem_id="image-compare")
        compare_status = gr.Markdown(elem_id="image-compare-status")
        with gr.Row():
            compared = gr.Gallery(label=t("image.compare_gallery"), columns=MAX_COMPARE // 2, object_fit="contain",
                                  format="png", scale=3, elem_id="image-compared", elem_classes="full-captions")
            grid_file = gr.File(label=t("image.compare_grid"), interactive=False, scale=1)

        controls = [prompt, negative, model, steps, guidance, width, height, seed, count, scheduler, style, strength]
        # Programs call the typed endpoints (published first, so they own the names); the page's events are private.
        publish(api_text_to_image, "text_to_image")
        publish(api_compare_images, "compare_images")
        page_generate = status_line(text_to_image, 4)
        for trigger in (generate.click, prompt.submit):  # then the pictures or the message, scrolled into view
            revealing(trigger(page_generate, controls, [gallery, settings, info, status], api_visibility="private"),
                      "#image-gallery", "#image-status")
        defaults = [model, steps, guidance, width, height, count, style, strength]  # what model_defaults sets
        model.input(model_defaults, model, defaults, api_visibility="private")
        png.upload(load_png, png, [prompt, negative, model, steps, guidance, width, height, seed, scheduler, style,
                                   strength], api_visibility="private")
        if default_model() != EMBEDDED:  # a Stable Diffusion default: load it with the page, controls to its defaults
            demo.load(model_defaults, model, defaults, api_visibility="private")
        revealing(compare.click(status_line(compare_images, 3), [prompt, compare_models, seed, compare_steps, compare_schedulers],
                                [compared, grid_file, compare_status], api_visibility="private"),
                  "#image-compared", "#image-compare-status")
    return demo
