"""How generative models learn: five families side by side, latent maps, live training, denoising.

Programs call the typed `gr.api` functions below (/learn_samples, /learn_compare, /learn_decode,
/learn_denoise) and the streaming /learn_train; the page's own buttons reuse the same functions
through private events, so there is one public endpoint per action.
"""

from __future__ import annotations

from typing import Optional

import gradio as gr
from gradio.components.api_component import Api
import pandas as pd

from demos.api import image_out, publish
from demos.controls import seed_box
from demos.errors import field_validator, status_line, user_errors
from demos.i18n import Messages, add_strings, bilingual, language, progress_in
from demos.limits import watched
from demos.learn_denoise import class_choices, denoiser_controls, first_denoise, run_denoise, show_frame
from demos.page_js import clamped, revealing
from demos.tables import html_table
from pipelines.common.outputs import output_folder
from pipelines.common.validation import say
from pipelines.learn import pipeline as learn
from pipelines.learn.live import MAX_LIVE_LATENT, MAX_LIVE_STEPS, MIN_LIVE_STEPS, LiveRequest, LiveUpdate
from pipelines.learn.pipeline import (CompareRequest, DecodeRequest, DenoiseRequest, MapRequest, SamplesRequest,
                                      get_pipeline)
from pipelines.learn.families import FAMILIES, FAMILY_NAMES, LATENT_FAMILIES

t = add_strings(*bilingual({
    "learn.intro": ("## How generative models learn\nFive kinds of generator, each trained here on the same real images "
                    "(handwritten digits or clothes, 28×28), from the simplest to today's. Compare what they make and how they score, "
                    "click around the hidden space of an autoencoder, train one yourself and watch it learn, and watch a diffusion model "
                    "turn noise into a picture.",
                    "## 모델은 어떻게 배우나\n다섯 종류의 생성 모델을 같은 실제 이미지(손글씨 숫자나 옷, 28×28)로 여기서 학습했습니다. "
                    "가장 단순한 것부터 요즘 모델까지. 무엇을 만드는지와 점수를 비교하고, 오토인코더의 숨은 공간을 클릭해 보고, "
                    "직접 학습시키며 배우는 모습을 보고, 확산 모델이 잡음을 그림으로 바꾸는 과정을 지켜보세요."),
    "learn.dataset": ("Images",
                      "이미지"),
    "learn.dataset_info": ("Handwritten digits (MNIST, 4,000 to learn from) or clothes (Fashion-MNIST, 60,000).",
                           "손글씨 숫자(MNIST, 학습용 4,000장) 또는 옷(Fashion-MNIST, 60,000장)."),
    "learn.seed": ("Seed",
                   "시드"),
    "learn.seed_info": ("The same seed gives the same samples.",
                        "같은 시드는 같은 샘플을 만듭니다."),
    "learn.compare": ("Side by side",
                      "나란히 비교"),
    "learn.compare_hint": ("Every family draws from the same seed; the table measures 250 samples each. "
                           "Quality: how often a digit classifier is sure what it sees, and how far the samples' features are from real ones "
                           "(*Fréchet distance*, FID's method). Variety: how evenly the classes appear (*entropy*) and how much of the real "
                           "variety the samples reach (*recall*). Copying: a sample's distance to its nearest training image, beside a real "
                           "unseen image's.",
                           "모든 모델이 같은 시드로 그립니다. 표는 모델마다 샘플 250개를 잰 값입니다. "
                           "품질: 숫자 분류기가 확신하는 비율과, 샘플의 특징이 실제 이미지와 얼마나 먼지(*프레셰 거리*, FID 방식). "
                           "다양성: 클래스가 얼마나 고르게 나오는지(*엔트로피*)와 실제 다양성을 얼마나 덮는지(*재현율*). "
                           "베끼기: 샘플과 가장 가까운 학습 이미지의 거리, 처음 보는 실제 이미지의 거리와 나란히."),
    "learn.run_compare": ("Compare all families",
                          "모든 모델 비교"),
    "learn.compared": ("One row per family (pixel, autoencoder, VAE, GAN, DCGAN, diffusion)",
                       "모델마다 한 줄 (픽셀, 오토인코더, VAE, GAN, DCGAN, 확산)"),
    "learn.table": ("Measured",
                    "측정값"),
    "learn.one_family": ("Samples from one family",
                         "한 모델의 샘플"),
    "learn.family": ("Family",
                     "모델 종류"),
    "learn.family_info": ("Per-pixel: each pixel on its own. Autoencoder/VAE: squeeze to 2 numbers and back. "
                          "GAN/DCGAN: a forger against a critic. Diffusion: remove noise step by step.",
                          "픽셀별: 픽셀마다 따로. 오토인코더/VAE: 숫자 2개로 압축했다 복원. "
                          "GAN/DCGAN: 위조범과 감별사의 대결. 확산: 잡음을 한 단계씩 제거."),
    "learn.count": ("How many",
                    "개수"),
    "learn.sample": ("Draw samples",
                     "샘플 그리기"),
    "learn.samples": ("Samples",
                      "샘플"),
    "learn.maps": ("Latent map",
                   "잠재 지도"),
    "learn.maps_hint": ("Every dot is a test image, placed by the 2 numbers the encoder squeezed it into (its *latent code*), "
                        "coloured by class. Click anywhere to see what the decoder draws there; click again to draw the whole line between "
                        "your last two clicks. The autoencoder leaves gaps between classes; the VAE is pushed to fill the space (its *KL term*).",
                        "점 하나가 테스트 이미지 하나이고, 인코더가 압축한 숫자 2개(*잠재 코드*)의 위치에 클래스 색으로 찍혀 있습니다. "
                        "아무 곳이나 클릭하면 디코더가 그곳에서 그리는 그림이 나오고, 한 번 더 클릭하면 마지막 두 점 사이의 선을 따라 그립니다. "
                        "오토인코더는 클래스 사이에 빈틈을 남기고, VAE는 공간을 채우도록 학습됩니다(*KL 항*)."),
    "learn.draw_maps": ("Draw the maps",
                        "지도 그리기"),
    "learn.map_ae": ("Autoencoder: click to decode",
                     "오토인코더: 클릭해서 복원"),
    "learn.map_vae": ("VAE: click to decode",
                      "VAE: 클릭해서 복원"),
    "learn.decoded": ("Decoded",
                      "복원된 그림"),
    "learn.strip": ("Along the line between your last two clicks",
                    "마지막 두 클릭 사이의 선을 따라"),
    "learn.train": ("Train it",  # short: the four inner tabs fit a phone's width
                    "직접 학습"),
    "learn.train_hint": ("Pick a family and press **Train**: it starts from random weights, and every few seconds you see "
                         "samples from the model as it is and its error so far (the *loss*). **Stop** any time, **Continue** for more steps, "
                         "**Reset** to forget it. One training at a time per visitor, at most 90 seconds per press.",
                         "모델 종류를 고르고 **학습**을 누르세요. 무작위 가중치에서 시작해, 몇 초마다 지금 모델의 샘플과 "
                         "지금까지의 오차(*손실*)를 보여 줍니다. 언제든 **정지**, 더 학습하려면 **계속**, 지우려면 **초기화**. "
                         "방문자마다 한 번에 하나, 한 번 누를 때 최대 90초."),
    "learn.lr": ("Learning speed",
                 "학습 속도"),
    "learn.lr_info": ("How big each correction is (the *learning rate*; set to the family's default when you pick one). Too big and it falls apart.",
                      "한 번에 고치는 크기(*학습률*; 모델을 고르면 그 기본값으로 바뀝니다). 너무 크면 무너집니다."),
    "learn.latent": ("Code size",
                     "코드 크기"),
    "learn.latent_info": ("How many numbers a sample is made from (the *latent size*; autoencoder, VAE and GANs).",
                          "샘플 하나를 만드는 숫자의 개수(*잠재 차원*; 오토인코더, VAE, GAN)."),
    "learn.steps": ("Steps",
                    "단계 수"),
    "learn.steps_info": ("Batches of 64 images to learn from (*training steps*).",
                         "배울 이미지 묶음(64장)의 수(*학습 단계*)."),
    "learn.start": ("Train",
                    "학습"),
    "learn.continue": ("Continue",
                       "계속"),
    "learn.stop": ("Stop",
                   "정지"),
    "learn.reset": ("Reset",
                    "초기화"),
    "learn.grid": ("Samples from the model so far",
                   "지금까지 모델이 만든 샘플"),
    "learn.loss": ("Loss (lower is better, except for GANs, whose loss only says who is winning)",
                   "손실 (낮을수록 좋음. 단 GAN의 손실은 누가 이기고 있는지만 알려 줍니다)"),
    "learn.denoise": ("Denoising",
                      "잡음 제거"),
    "learn.denoise_hint": ("A diffusion model starts from pure noise and removes a little at each step. Left: the picture at "
                           "that step (*x_t*). Right: the model's current guess of the finished picture (*predicted x₀*). The Text → Image "
                           "model starts part way instead: its layout prior first guesses a blurry picture from the prompt, "
                           "which is noised and then denoised, so it runs fewer steps.",
                           "확산 모델은 순수한 잡음에서 시작해 단계마다 조금씩 잡음을 걷어 냅니다. 왼쪽: 그 단계의 그림(*x_t*). "
                           "오른쪽: 모델이 지금 추측하는 완성된 그림(*예측된 x₀*). 글 → 그림 모델은 중간에서 시작합니다. "
                           "레이아웃 사전 모델이 프롬프트로 흐릿한 그림을 먼저 추측하고, 거기에 잡음을 더한 뒤 걷어 내므로 "
                           "단계가 더 적습니다."),
    "learn.model": ("Model",
                    "모델"),
    "learn.label": ("Class",
                    "클래스"),
    "learn.prompt": ("What to draw",
                     "그릴 것"),
    "learn.prompt_info": ("The Text → Image tab's own model draws it (English or Korean).",
                          "그림 탭의 자체 모델이 그립니다 (영어나 한국어)."),
    "learn.denoiser.mnist-diffusion": ("Digits (MNIST) diffusion",
                                       "숫자(MNIST) 확산 모델"),
    "learn.denoiser.fashion-mnist-diffusion": ("Clothes (Fashion-MNIST) diffusion",
                                               "옷(Fashion-MNIST) 확산 모델"),
    "learn.denoiser.emoji-diffusion": ("Text → Image: emoji diffusion (latent)",
                                       "글 → 그림: 이모지 확산 모델 (잠재 공간)"),
    "learn.denoise_steps": ("Steps",
                            "단계 수"),
    "learn.run_denoise": ("Denoise",
                          "잡음 제거"),
    "learn.frame": ("Step",
                    "단계"),
    "learn.noisy": ("The picture now",
                    "지금의 그림"),
    "learn.guess": ("The model's guess of the end",
                    "모델이 추측한 완성 그림"),
}))

DATASET_CHOICES = [("Digits · 숫자 (MNIST)", "mnist"), ("Clothes · 옷 (Fashion-MNIST)", "fashion-mnist")]
TABLE_COLUMNS = ["family", "training CPU s", "samples/s", "sure (%)", "Fréchet ↓", "class entropy", "recall", "nearest train", "test's nearest"]
# The family pickers' labels, in the page's language (the static table: Gradio translates them in the browser).
add_strings(*bilingual({f"learn.family.{key}": (str(name), say(name, "ko")) for key, name in FAMILY_NAMES.items()}))
FAMILY_CHOICES = [(t(f"learn.family.{key}"), key) for key in FAMILIES]
TABLE_COLUMNS_KO = ["모델", "학습 CPU 초", "샘플/초", "확신 (%)", "프레셰 ↓", "클래스 엔트로피", "재현율", "가장 가까운 학습 이미지", "테스트 이미지의 거리"]

# What the tab writes while running, in the request's language.
MESSAGES = Messages(*bilingual({
    **{f"column.{i}": names for i, names in enumerate(zip(TABLE_COLUMNS, TABLE_COLUMNS_KO))},
    "caption": ("{family} #{index}",
                "{family} #{index}"),
    "real": ("real test images",
             "실제 테스트 이미지"),
    "verdict.title": ("**Opinion slide vs measured** (within ×{within} of the best = fast/good):",
                      "**의견 슬라이드 대 측정값** (최고값의 ×{within} 이내 = 빠름/좋음):"),
    "status": ("**{state}** · step {step} / {target} · {elapsed:.0f} s · {cpu:.0f} CPU s",
               "**{state}** · {step} / {target} 단계 · {elapsed:.0f}초 · CPU {cpu:.0f}초"),
    "state.training": ("training",
                       "학습 중"),
    "state.finished": ("finished",
                       "완료"),
    "state.stopped": ("stopped",
                      "정지됨"),
    "state.time limit": ("time limit",
                         "시간 제한"),
    "frame": ("t = {timestep}",
              "t = {timestep}"),
}))


def _files(images, kind: str = "learn") -> list[dict]:
    """PNG files in a fresh folder, as file references gradio hands to clients (downloaded by gradio_client)."""
    folder = output_folder(kind)
    refs = []
    for i, image in enumerate(images):
        path = folder / f"{i:03d}.png"
        image.save(path)
        refs.append({"path": str(path), "meta": {"_type": "gradio.FileData"}})
    return refs


def _row(row: learn.FamilyRow) -> dict:
    return {"family": row.family, "training_cpu_seconds": row.training_cpu_seconds, "training_steps": row.training_steps,
            "samples_per_second": round(row.samples_per_second, 1), **_measures(row.measures)}


def _measures(m: learn.Measures) -> dict:
    return {"confident": round(m.confident, 3),
            "frechet": round(m.frechet, 2), "class_entropy": round(m.class_entropy, 3), "recall": round(m.recall, 3),
            "nearest_train": round(m.nearest_train, 3), "test_nearest_train": round(m.test_nearest_train, 3)}


# -- the public API: typed functions returning named fields --------------------------------------
def learn_samples(family: learn.FamilyChoice, dataset: learn.DatasetChoice, count: int = 16, seed: int = 0, request: gr.Request = None) -> dict:
    """Draw `count` samples from one family's shipped model.

    family: pixel, autoencoder, vae, gan, dcgan or diffusion. dataset: mnist or fashion-mnist.
    Returns {"images": [PNG files, 28×28], "seconds": time to sample, "family", "dataset", "seed"}.
    """
    result = get_pipeline().samples(SamplesRequest(family=family, dataset=dataset, count=count, seed=seed))
    return {"images": _files(result.images), "seconds": round(result.seconds, 4), "family": family, "dataset": dataset, "seed": seed}


def learn_compare(dataset: learn.DatasetChoice, seed: int = 0, request: gr.Request = None) -> dict:
    """Every family on one dataset: 8 samples each and the measured table (250 samples per family).

    Returns {"rows": [{"family", "images": [8 PNG files], "measures": {...}}], "table": [the measures],
    "real": the same measures for 250 held-out real images (the best reachable),
    "verdicts": [sentences: where the measurements agree with the opinion slide, in the request's language]}.
    """
    result = get_pipeline().compare(CompareRequest(dataset=dataset, seed=seed), progress=watched())
    rows = [{"family": r.family, "images": _files(r.images), "measures": _row(r)} for r in result.rows]
    return {"dataset": dataset, "seed": seed, "rows": rows, "table": [r["measures"] for r in rows],
            "real": _measures(result.real), "verdicts": [say(v, language(request)) for v in result.verdicts]}


def learn_decode(family: learn.MapFamilyChoice, dataset: learn.DatasetChoice, x: float, y: float, x2: Optional[float] = None, y2: Optional[float] = None, frames: int = 8,
                 request: gr.Request = None) -> dict:
    """Decode the 2-D latent point (x, y) of the autoencoder or the VAE; with (x2, y2), a strip of
    `frames` images along the line between the two points.

    Returns {"image": PNG of (x, y), "images": [the strip, or just that image], "map": the latent map with the points marked}.
    """
    result = get_pipeline().decode(DecodeRequest(family=family, dataset=dataset, x=x, y=y, x2=x2, y2=y2, frames=frames))
    files = _files([*result.images, result.map_image])
    return {"image": files[0], "images": files[:-1], "map": files[-1], "points": result.points}


def learn_denoise(model: learn.DenoiserChoice, label: int = -1, seed: int = 0, steps: int = 20, prompt: str = "",
                  request: gr.Request = None) -> dict:
    """Watch a diffusion model denoise: one frame per step, from pure noise to a picture.

    model: mnist-diffusion or fashion-mnist-diffusion (label: a class 0–9, or -1 for any), or emoji-diffusion,
    the Text → Image tab's own model (prompt: what to draw, English or Korean; its frames are decoded latents).
    Returns {"frames": [{"timestep", "noisy": PNG of x_t, "guess": PNG of the predicted clean image}], "image": the result}.
    """
    frames = get_pipeline().denoise(DenoiseRequest(model=model, label=label, seed=seed, steps=steps, prompt=prompt))
    files = _files([im for f in frames for im in (f.noisy, f.guess)])
    out = [{"timestep": f.timestep, "noisy": files[2 * i], "guess": files[2 * i + 1]} for i, f in enumerate(frames)]
    return {"model": model, "label": label, "seed": seed, "frames": out, "image": out[-1]["guess"]}


# -- the page's handlers (private events) --------------------------------------------------------
@user_errors
def show_samples(family, dataset, count, seed, request: gr.Request = None):
    lang = language(request)
    result = get_pipeline().samples(SamplesRequest(family=family, dataset=dataset, count=count, seed=seed))
    name = say(FAMILY_NAMES[family], lang)
    return [(im, MESSAGES("caption", lang, family=name, index=i)) for i, im in enumerate(result.images)]


def _cells(m: learn.Measures) -> dict:
    return {"sure (%)": round(100 * m.confident, 1), "Fréchet ↓": round(m.frechet, 1), "class entropy": round(m.class_entropy, 2),
            "recall": round(m.recall, 2), "nearest train": round(m.nearest_train, 3), "test's nearest": round(m.test_nearest_train, 3)}


@user_errors
def show_compare(dataset, seed, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    result = get_pipeline().compare(CompareRequest(dataset=dataset, seed=seed), progress=watched(progress_in(progress, lang)))
    # one row per family, named once at its start: a caption on every tile would cover every sample
    tiles = [(im, None if i else say(FAMILY_NAMES[r.family], lang)) for r in result.rows for i, im in enumerate(r.images)]
    rows = [{"family": say(FAMILY_NAMES[r.family], lang), "training CPU s": r.training_cpu_seconds, "samples/s": round(r.samples_per_second),
             **_cells(r.measures)} for r in result.rows]
    rows.append({"family": MESSAGES("real", lang), **_cells(result.real)})
    # HTML, not a gr.Dataframe: on a phone its 9 columns become one card per family instead of running off screen
    table = html_table([MESSAGES(f"column.{i}", lang) for i in range(len(TABLE_COLUMNS))],
                       ([row.get(column) for column in TABLE_COLUMNS] for row in rows))
    notes = "\n".join(f"- {say(v, lang)}" for v in result.verdicts)
    # The gallery and the table stay hidden until there is something in them (no large empty boxes).
    return (gr.Gallery(tiles, visible=True), gr.HTML(table, visible=True),
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
        result = get_pipeline().decode(DecodeRequest(family=family, dataset=dataset, x=x1, y=y1, x2=x2, y2=y2))
        strip = [(im, "") for im in result.images] if last_point else None
        return result.map_image, result.images[-1], strip, (x, y)

    return handler


def _session_id(request: gr.Request) -> str:
    return request.session_hash or "anonymous"


def _live_outputs(update: LiveUpdate, session_id: str, lang: str = "en", first: bool = False):
    curve = pd.DataFrame(update.losses or [(0, float("nan"))], columns=["step", "loss"])
    state = MESSAGES(f"state.{update.status}", lang) if f"state.{update.status}" in MESSAGES else update.status
    status = MESSAGES("status", lang, state=state, step=update.step, target=update.target, elapsed=update.elapsed, cpu=update.cpu_seconds)
    # The note under the buttons is about a press refused while this training runs: it lasts while the training does,
    # and a training's first and last updates clear it (its own press may have been checked as it started).
    notice = "" if first or update.status != "training" else gr.skip()
    return gr.Image(update.grid, visible=True), gr.LinePlot(curve, visible=True), status, session_id, notice  # shown from the first


@user_errors
def train_live(family: str, dataset: str, lr: float, latent_dim: int, steps: int, seed: int, request: gr.Request,
               evt: gr.EventData):
    """Train: a family from scratch; Continue: the session's model `steps` more (its family and dataset stay as
    trained). One training per session, at most 90 s and 5,000 steps a press, streaming (sample grid, loss curve,
    status) every few seconds."""
    sid, lang = _session_id(request), language(request)
    training = LiveRequest(family=family, dataset=dataset, lr=lr, latent_dim=latent_dim, steps=steps, seed=seed)
    resume = getattr(evt.target, "elem_id", None) == "learn-continue"
    for i, update in enumerate(get_pipeline().train(sid, training, resume=resume)):
        yield _live_outputs(update, sid, lang, first=i == 0)


def api_learn_train(family, dataset, lr, latent_dim, steps, seed, request: gr.Request = None):
    """Train a family from scratch, streaming a result every few seconds (one training per client session,
    at most 90 s and 5,000 steps a call). Each result: {"grid": PNG of 16 samples, "losses": [[step, loss]],
    "status": a line in the request's language, "step", "target"}."""
    sid, lang = _session_id(request), language(request)
    training = LiveRequest(family=family, dataset=dataset, lr=lr, latent_dim=latent_dim, steps=steps, seed=seed)
    for update in get_pipeline().train(sid, training):
        status = _live_outputs(update, sid, lang)[2]
        yield {"grid": image_out(update.grid, f"train_{update.step}") if update.grid is not None else None,
               "losses": [list(p) for p in update.losses or []], "status": status, "step": update.step,
               "target": update.target}


def family_defaults(family):
    config = FAMILIES[family].Config()
    return config.lr, config.latent_dim


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


def publish_training(queue: dict) -> None:
    """/learn_train for programs: the page's training through a hidden button with typed pass-through inputs and one
    named result, in the page's training queue (call inside the tab's Blocks)."""
    api_inputs = [Api(None, {"type": "string", "enum": list(FAMILIES)}, label="family"),
                  Api(None, {"type": "string", "enum": list(learn.DATASETS)}, label="dataset"),
                  Api(None, {"type": "number"}, label="lr"), Api(None, {"type": "integer"}, label="latent_dim"),
                  Api(None, {"type": "integer"}, label="steps"), Api(0, {"type": "integer"}, label="seed")]
    gr.Button(visible=False).click(user_errors(api_learn_train), api_inputs, Api(None, {"type": "object"}, label="result"),
                                   api_name="learn_train", **queue)


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("learn.intro"))
        with gr.Row():
            dataset = gr.Dropdown(DATASET_CHOICES, value="mnist", label=t("learn.dataset"), info=t("learn.dataset_info"), elem_id="learn-dataset")
            seed = seed_box(0, t("learn.seed"), info=t("learn.seed_info"), elem_id="learn-seed")
        with gr.Tabs():
            with gr.Tab(t("learn.compare")):
                gr.Markdown(t("learn.compare_hint"))
                compare_btn = gr.Button(t("learn.run_compare"), variant="primary")
                compare_status = gr.Markdown(elem_id="learn-compare-status")  # a failed action says why here
                # no height: all six rows show at once, none hidden in a scroll box (app.py's CSS sizes the tiles)
                compared = gr.Gallery(label=t("learn.compared"), columns=learn.SHOWN, allow_preview=False, format="png",
                                      object_fit="contain", visible=False, elem_id="learn-compared")
                table = gr.HTML(label=t("learn.table"), show_label=True, container=True, visible=False, elem_id="learn-table",
                                js_on_load=None)  # a table to read: none of Gradio's default script, which reports every click on it
                verdict = gr.Markdown()
                with gr.Accordion(t("learn.one_family"), open=False):
                    with gr.Row():
                        family = gr.Dropdown(FAMILY_CHOICES, value="dcgan", label=t("learn.family"), info=t("learn.family_info"))
                        count = gr.Slider(1, learn.MAX_SAMPLES, value=16, step=1, label=t("learn.count"))
                    sample_btn = gr.Button(t("learn.sample"))
                    sample_status = gr.Markdown(elem_id="learn-sample-status")
                    samples = gr.Gallery(label=t("learn.samples"), columns=8, height=260, allow_preview=False, format="png",
                                         object_fit="contain", elem_id="learn-samples")
            with gr.Tab(t("learn.maps")) as maps_tab:
                gr.Markdown(t("learn.maps_hint"))
                maps_btn = gr.Button(t("learn.draw_maps"), variant="primary")
                maps_status = gr.Markdown(elem_id="learn-maps-status")
                with gr.Row():
                    maps, decoded, lasts = [], [], []
                    for key in LATENT_FAMILIES:
                        with gr.Column():
                            maps.append(gr.Image(label=t(f"learn.map_{'ae' if key == 'autoencoder' else key}"), type="pil", format="png",
                                                 interactive=False, height=500, elem_id=f"learn-map-{key}"))
                            decoded.append(gr.Image(label=t("learn.decoded"), format="png", height=120, elem_classes="latent-big", elem_id=f"learn-decoded-{key}"))
                            lasts.append(gr.State(None))  # the previous click on this map, for the line
                maps_drawn = gr.State(False)
                strips = [gr.Gallery(label=t("learn.strip"), columns=8, height=110, allow_preview=False, format="png") for _ in LATENT_FAMILIES]
            with gr.Tab(t("learn.train")):
                gr.Markdown(t("learn.train_hint"))
                with gr.Row():
                    train_family = gr.Dropdown(FAMILY_CHOICES, value="dcgan", label=t("learn.family"), info=t("learn.family_info"))
                    lr = gr.Number(FAMILIES["dcgan"].Config.lr, label=t("learn.lr"), info=t("learn.lr_info"), elem_id="learn-lr")
                    latent_dim = gr.Slider(1, MAX_LIVE_LATENT, value=FAMILIES["dcgan"].Config.latent_dim, step=1, label=t("learn.latent"), info=t("learn.latent_info"))
                    steps = gr.Slider(MIN_LIVE_STEPS, MAX_LIVE_STEPS, value=300, step=10, label=t("learn.steps"), info=t("learn.steps_info"), elem_id="learn-steps")
                with gr.Row():
                    start = gr.Button(t("learn.start"), variant="primary", elem_id="learn-train")
                    more = gr.Button(t("learn.continue"), elem_id="learn-continue")  # train_live reads the id
                    stop = gr.Button(t("learn.stop"), variant="stop")
                    reset = gr.Button(t("learn.reset"))
                status, notice = gr.Markdown(elem_id="learn-status"), gr.Markdown(elem_id="learn-notice")  # notice: a press refused
                with gr.Row():
                    grid = gr.Image(label=t("learn.grid"), format="png", height=300, elem_id="learn-grid", visible=False)
                    curve = gr.LinePlot(x="step", y="loss", label=t("learn.loss"), height=300, visible=False)
                # the session's model is dropped when the page closes or after an idle hour
                session = gr.State(None, time_to_live=3600, delete_callback=get_pipeline().drop_training)
            with gr.Tab(t("learn.denoise")) as denoise_tab:
                gr.Markdown(t("learn.denoise_hint"))
                with gr.Row():
                    model = gr.Dropdown([(t(f"learn.denoiser.{key}"), key) for key in learn.DENOISERS], value="mnist-diffusion",
                                        label=t("learn.model"), elem_id="learn-denoiser")
                    label = gr.Dropdown(class_choices("mnist-diffusion"), value=-1, label=t("learn.label"))
                    prompt = gr.Textbox("red apple", label=t("learn.prompt"), info=t("learn.prompt_info"), visible=False,
                                        elem_id="learn-denoise-prompt")
                    denoise_steps = gr.Slider(1, learn.MAX_DENOISE_STEPS, value=20, step=1, label=t("learn.denoise_steps"),
                                              elem_id="learn-denoise-steps")
                denoise_btn = gr.Button(t("learn.run_denoise"), variant="primary")
                denoise_status = gr.Markdown(elem_id="learn-denoise-status")
                frame = gr.Slider(1, 20, value=20, step=1, label=t("learn.frame"), elem_id="learn-frame")
                frame_info = gr.Markdown(elem_id="learn-frame-info")
                with gr.Row():
                    noisy = gr.Image(label=t("learn.noisy"), format="png", height=220, elem_classes="latent-big", elem_id="learn-noisy")
                    guess = gr.Image(label=t("learn.guess"), format="png", height=220, elem_classes="latent-big")
                frames = gr.State([])

        # Public API: typed functions, one per action.
        for fn in (learn_samples, learn_compare, learn_decode, learn_denoise):
            publish(fn, fn.__name__)
        # The page's events: private where a gr.api function above already offers the action.
        # Each button's result, or its message, is brought into view once it is there (a phone stacks them far down).
        revealing(compare_btn.click(status_line(show_compare, 4), [dataset, seed], [compared, table, verdict, compare_status],
                                    api_visibility="private"), "#learn-compared", "#learn-compare-status")
        revealing(sample_btn.click(status_line(show_samples, 2), [family, dataset, count, seed], [samples, sample_status],
                                   api_visibility="private"), "#learn-samples", "#learn-sample-status")
        # The maps and a first denoising appear when their tab first opens (both are quick), not after a button.
        map_outputs = maps + lasts + [maps_drawn, maps_status]
        revealing(gr.on([maps_btn.click, dataset.change], status_line(show_maps, len(map_outputs)), dataset, map_outputs,
                        api_visibility="private"), "#learn-map-autoencoder", "#learn-maps-status")
        maps_tab.select(status_line(first_maps, len(map_outputs)), [maps_drawn, dataset], map_outputs, api_visibility="private")
        for key, image, out, strip, last in zip(LATENT_FAMILIES, maps, decoded, strips, lasts):
            image.select(status_line(click_map(key), 5), [dataset, last], [image, out, strip, last, maps_status], api_visibility="private")
        model.change(denoiser_controls, model, [label, prompt], api_visibility="private")
        # Live training: its own queue (two at a time in the whole app), so it never starves other tabs.
        train_family.input(family_defaults, train_family, [lr, latent_dim], api_visibility="private")
        train_inputs = [train_family, dataset, lr, latent_dim, steps, seed]
        train_outputs = [grid, curve, status, session, notice]
        queue = dict(concurrency_id="learn_train", concurrency_limit=2)
        # Bad settings are explained under their control as Train is pressed, not after waiting for a free slot.
        checked = field_validator(LiveRequest, ["family", "dataset", "learning rate", "latent size", "steps", "seed"])
        # One event for Train and Continue: a press of either while it runs is dropped by the page, and busy_note says
        # why, once (a second event would queue, and be refused in the status line as well).
        training = gr.on([start.click, more.click], status_line(train_live, 5, status=2, separate=False), train_inputs,
                         train_outputs, api_visibility="private", validator=checked, **queue)
        revealing(training, "#learn-grid", "#learn-status")
        publish_training(queue)
        # Stop asks the training to end after its current slice: it sends one last "stopped" update and ends cleanly
        # (cancelling the event instead would leave "Error" pills on the grid, the curve and the status line).
        stop.click(stop_live, None, None, api_visibility="private", queue=False)
        reset.click(reset_live, None, [grid, curve, status, notice], cancels=[training], api_visibility="private", queue=False)
        for button in (start, more):  # a press while the training runs is dropped by the page: say why, without queueing
            button.click(busy_note, None, notice, queue=False, trigger_mode="multiple", show_progress="hidden", api_visibility="private")
        denoise_inputs, denoise_outputs = [model, label, prompt, seed, denoise_steps], [frames, frame, noisy, guess, frame_info, denoise_status]
        revealing(denoise_btn.click(status_line(run_denoise, 6), denoise_inputs, denoise_outputs, api_visibility="private"),
                  "#learn-noisy", "#learn-denoise-status")
        denoise_tab.select(status_line(first_denoise, 6), [frames] + denoise_inputs, denoise_outputs, api_visibility="private")
        frame.input(show_frame, [frames, frame], [noisy, guess, frame_info], api_visibility="private", show_progress="hidden",
                    js=clamped([frames, frame]))  # a number typed past the end: the end, not Gradio's English toast
    return demo
