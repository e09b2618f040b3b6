"""Latent Lab tab: samples, A − B + C, interpolation, sliders, "is it copying?", side by side.

Each button's event is also a named API endpoint (api_name below). Handlers take the
same arguments a gradio_client caller sends and let the pipeline validate them.
"""

from __future__ import annotations

from typing import Optional, Union

import gradio as gr
from gradio.data_classes import FileData

from demos.api import file_in, image_out, images_out, publish
from demos.controls import seed_box
from demos.errors import status_line, user_errors
from demos.i18n import Messages, add_strings, bilingual, language, progress_in
from demos.latent_clicks import pick_sample
from demos.page_js import clamped, revealing
from pipelines.common.images import open_upload
from pipelines.common.seeding import random_seed
from pipelines.common.validation import say
from pipelines.latent_lab import pipeline as latent
from pipelines.latent_lab.pipeline import (ArithmeticRequest, CompareRequest, CopyCheckRequest, EditRequest, InterpolateRequest,
                                           SamplesRequest, get_pipeline)

t = add_strings(*bilingual({
    "latent.intro": ("## Latent Lab\nA generator turns a list of random numbers (a *latent code*, picked by a **seed**) into a picture. "
                     "Sample some, click them into groups, and do arithmetic, blends and slider edits on their codes.",
                     "## 잠재 공간 실험실\n생성기는 난수 목록(**시드**로 고르는 *잠재 코드*)을 그림으로 바꿉니다. "
                     "샘플을 만들고, 클릭해 그룹에 넣은 뒤, 코드로 덧셈·뺄셈, 보간, 슬라이더 편집을 해 보세요."),
    "latent.generator": ("Generator",
                         "생성기"),
    # Short enough for a phone's picker and the side-by-side captions; the hint says where each comes from.
    "latent.gen_digiface": ("Faces (DigiFace DCGAN)",
                            "얼굴 (DigiFace DCGAN)"),
    "latent.gen_fashion": ("Clothes (Fashion-MNIST DCGAN)",
                           "옷 (Fashion-MNIST DCGAN)"),
    "latent.generator_info": ("Faces: pretrained on synthetic faces. Fashion-MNIST: trained in this project.",
                              "얼굴: 합성 얼굴로 사전 학습됨. Fashion-MNIST: 이 프로젝트에서 학습함."),
    "latent.seed": ("Seed",
                    "시드"),
    "latent.seed_info": ("The same seed always gives the same sample.",
                         "같은 시드는 언제나 같은 샘플을 만듭니다."),
    "latent.random": ("🎲 Random seed",
                      "🎲 무작위 시드"),
    "latent.count": ("How many samples",
                     "샘플 수"),
    "latent.truncation": ("Variety",
                          "다양성"),
    "latent.truncation_info": ("Lower = more typical, less varied samples (the 'truncation ψ'; 0 = the average).",
                               "낮을수록 평범하고 덜 다양한 샘플 ('절단 ψ', 0 = 평균)."),
    "latent.sample": ("Generate samples",
                      "샘플 생성"),
    "latent.samples": ("Samples (click one to use it below)",
                       "샘플 (클릭해서 아래에 사용)"),
    "latent.click_target": ("Clicking a sample puts its seed into",
                            "샘플을 클릭하면 시드가 들어갈 곳"),
    "latent.arithmetic": ("Arithmetic",
                          "잠재 산술"),
    "latent.arith_hint": ("Pick about three samples per group (the DCGAN paper averaged three per concept). "
                          "The result is mean(A) − mean(B) + mean(C): e.g. A = smiling women, B = neutral women, C = neutral men.",
                          "그룹마다 샘플을 세 개쯤 고르세요 (DCGAN 논문은 개념마다 세 개를 평균했습니다). "
                          "결과는 평균(A) − 평균(B) + 평균(C) 입니다. 예: A = 웃는 여성, B = 무표정 여성, C = 무표정 남성."),
    "latent.group_a": ("Group A (seeds)",
                       "그룹 A (시드)"),
    "latent.group_b": ("Group B (seeds)",
                       "그룹 B (시드)"),
    "latent.group_c": ("Group C (seeds)",
                       "그룹 C (시드)"),
    "latent.run_arith": ("Compute A − B + C",
                         "A − B + C 계산"),
    "latent.mean_a": ("mean(A)",
                      "평균(A)"),
    "latent.mean_b": ("mean(B)",
                      "평균(B)"),
    "latent.mean_c": ("mean(C)",
                      "평균(C)"),
    "latent.result": ("A − B + C",
                      "A − B + C"),
    "latent.interpolate": ("Interpolate",
                           "보간"),
    "latent.seed_a": ("From seed",
                      "시작 시드"),
    "latent.seed_b": ("To seed",
                      "끝 시드"),
    "latent.steps": ("Frames",
                     "프레임 수"),
    "latent.mode": ("Path",
                    "경로"),
    "latent.mode_info": ("Spherical keeps every frame as typical as the two ends.",
                         "구면 보간은 모든 프레임을 양 끝만큼 자연스럽게 유지합니다."),
    "latent.mode_linear": ("linear",
                           "직선"),
    "latent.mode_spherical": ("spherical",
                              "구면"),
    "latent.run_interp": ("Interpolate",
                          "보간하기"),
    "latent.strip": ("From → to",
                     "시작 → 끝"),
    "latent.sliders": ("Sliders",
                       "슬라이더"),
    "latent.sliders_hint": ("Each direction slider changes the face along one of the five main ways samples differ, found "
                            "without labels (principal components, as in GANSpace). The trait slider moves along a direction you define by example.",
                            "방향 슬라이더는 라벨 없이 찾은, 샘플들이 달라지는 다섯 가지 주된 방식(GANSpace의 주성분)을 따라 "
                            "얼굴을 바꿉니다. 특성 슬라이더는 예시로 직접 정한 방향을 따라 움직입니다."),
    "latent.pc_info": ("In standard deviations; 0 = the sample as it is.",
                       "표준편차 단위. 0 = 원래 샘플."),
    "latent.clear": ("Clear",
                     "지우기"),
    "latent.groups_placeholder": ("click samples above",
                                  "위의 샘플을 클릭하세요"),
    "latent.edit_seed": ("Sample to edit (seed)",
                         "편집할 샘플 (시드)"),
    "latent.pc": ("Direction",
                  "방향"),
    "latent.trait_with": ("Samples WITH the trait (seeds)",
                          "특성이 있는 샘플 (시드)"),
    "latent.trait_without": ("Samples WITHOUT it (seeds)",
                             "특성이 없는 샘플 (시드)"),
    "latent.trait_amount": ("Trait amount",
                            "특성 강도"),
    "latent.edited": ("Edited sample",
                      "편집된 샘플"),
    "latent.copying": ("Is it copying? Find the nearest training images",
                       "베낀 걸까? 가장 가까운 학습 이미지 찾기"),
    "latent.nearest": ("Nearest training images",
                       "가장 가까운 학습 이미지"),
    "latent.compare": ("Side by side",
                       "나란히 비교"),
    "latent.compare_hint": ("The same seeds (from the controls above) through each generator, with the time each took.",
                            "위 설정의 같은 시드를 각 생성기에 넣고 걸린 시간과 함께 보여줍니다."),
    "latent.compare_which": ("Generators",
                             "생성기"),
    "latent.run_compare": ("Compare",
                           "비교"),
    "latent.compared": ("One row per generator",
                        "생성기마다 한 줄"),
}))

# What the tab writes while running, in the request's language.
MESSAGES = Messages(*bilingual({
    "caption": ("seed {seed}",
                "시드 {seed}"),
    "searching": ("Searching the training images (the first search loads them)",
                  "학습 이미지를 찾는 중 (첫 검색 때 불러옵니다)"),
    "tile": ("{generator} · {caption} · {ms:.0f} ms",
             "{generator} · {caption} · {ms:.0f} ms"),
    "digiface": ("Faces",
                 "얼굴"),
    "fashion-mnist": ("Fashion-MNIST",
                      "Fashion-MNIST"),
}))

GENERATOR_CHOICES = [(t("latent.gen_digiface"), "digiface"), (t("latent.gen_fashion"), "fashion-mnist")]
WITH_TRAINING_SET = ("fashion-mnist",)  # generators whose training images are here ("Is it copying?")
DIRECTION_NAMES = [t("latent.pc") + f" {i + 1}" for i in range(latent.N_DIRECTIONS)]  # plain: the hint says what they are


def _captioned(result: latent.LatentImages, lang: str = "en") -> list[tuple]:
    if result.seeds and lang != "en":
        return [(im, MESSAGES("caption", lang, seed=s)) for im, s in zip(result.images, result.seeds)]
    return list(zip(result.images, result.labels))


@user_errors
def latent_samples(generator, seed, count, truncation, request: gr.Request = None):
    result = get_pipeline().samples(SamplesRequest(generator=generator, seed=seed, count=count, truncation=truncation))
    return _captioned(result, language(request)), result.seeds


@user_errors
def latent_arithmetic(generator, a_seeds, b_seeds, c_seeds, truncation=latent.DEFAULT_TRUNCATION,
                      request: gr.Request = None):  # the request: its errors in the page's language
    result = get_pipeline().arithmetic(ArithmeticRequest(a_seeds=a_seeds, b_seeds=b_seeds, c_seeds=c_seeds, generator=generator,
                                                         truncation=truncation))
    return (result.image, *result.group_means)


@user_errors
def latent_interpolate(generator, seed_a, seed_b, steps, mode="spherical", truncation=latent.DEFAULT_TRUNCATION,
                       request: gr.Request = None):
    return _captioned(get_pipeline().interpolate(InterpolateRequest(generator=generator, seed_a=seed_a, seed_b=seed_b, steps=steps,
                                                                    mode=mode, truncation=truncation)))


@user_errors
def latent_edit(generator, seed, truncation, pc1, pc2, pc3, pc4, pc5, trait_with, trait_without, trait_amount,
                request: gr.Request = None):
    return get_pipeline().edit(EditRequest(generator=generator, seed=seed, truncation=truncation, amounts=[pc1, pc2, pc3, pc4, pc5],
                                           trait_with=trait_with, trait_without=trait_without, trait_amount=trait_amount))


def copy_check(image, generator, lang: str = "en"):
    """The nearest training images of `image` and a verdict sentence."""
    result = get_pipeline().copy_check(CopyCheckRequest(image=image, generator=generator))
    return result, say(result.summary, lang)


@user_errors
def latent_nearest(generator, seed, truncation, pc1, pc2, pc3, pc4, pc5, trait_with, trait_without, trait_amount,
                   request: gr.Request = None, progress=gr.Progress()):
    """The page's "Is it copying?": the edited sample is made again from its settings (no image is uploaded)."""
    lang = language(request)
    image = get_pipeline().edit(EditRequest(generator=generator, seed=seed, truncation=truncation, amounts=[pc1, pc2, pc3, pc4, pc5],
                                            trait_with=trait_with, trait_without=trait_without, trait_amount=trait_amount))
    progress(0.1, desc=MESSAGES("searching", lang))
    result, summary = copy_check(image, generator, lang)
    captions = [f"{label} · {d:.3f}" for label, d in zip(result.labels, result.distances)]
    return list(zip(result.images, captions)), summary


@user_errors
def latent_compare(generators, seed, count, truncation, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    results = get_pipeline().compare(CompareRequest(generators=generators, seed=seed, count=count, truncation=truncation),
                                     progress=progress_in(progress, lang))
    tiles = []
    for key, result in results.items():
        tiles += [(im, MESSAGES("tile", lang, generator=MESSAGES(key, lang), caption=MESSAGES("caption", lang, seed=s), ms=1000 * result.seconds))
                  for im, s in zip(result.images, result.seeds)]
    return tiles


# -- typed endpoints for programs ------------------------------------------------------------------
def api_latent_samples(generator: latent.GeneratorChoice = "digiface", seed: int = 0, count: int = 8, truncation: float = latent.DEFAULT_TRUNCATION, request: gr.Request = None) -> dict:
    """Samples with seeds seed, seed+1, …

    Args:
        generator: "digiface" (faces, 64 px) or "fashion-mnist" (28 px).
        seed: 0 … 4294967295.
        count: 1–32.
        truncation: 0–1; lower = more typical samples.
    Returns:
        {"images": PNG files, "seeds": the seed of each, "seconds": generation time}
    """
    result = get_pipeline().samples(SamplesRequest(generator=generator, seed=seed, count=count, truncation=truncation))
    return {"images": images_out(result.images), "seeds": result.seeds, "seconds": round(result.seconds, 4)}


def api_latent_arithmetic(a_seeds: list[int], b_seeds: list[int], c_seeds: list[int], generator: latent.GeneratorChoice = "digiface",
                          truncation: float = latent.DEFAULT_TRUNCATION, request: gr.Request = None) -> dict:
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
    result = get_pipeline().arithmetic(ArithmeticRequest(a_seeds=a_seeds, b_seeds=b_seeds, c_seeds=c_seeds, generator=generator,
                                                         truncation=truncation))
    a, b, c = result.group_means
    return {"image": image_out(result.image), "mean_a": image_out(a, "mean_a"), "mean_b": image_out(b, "mean_b"),
            "mean_c": image_out(c, "mean_c")}


def api_latent_interpolate(seed_a: int = 0, seed_b: int = 1, steps: int = 8, generator: latent.GeneratorChoice = "digiface",
                           mode: latent.InterpolationMode = "spherical", truncation: float = latent.DEFAULT_TRUNCATION, request: gr.Request = None) -> dict:
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
    result = get_pipeline().interpolate(InterpolateRequest(generator=generator, seed_a=seed_a, seed_b=seed_b, steps=steps, mode=mode,
                                                           truncation=truncation))
    return {"images": images_out(result.images), "fractions": [float(x) for x in result.labels]}


def api_latent_edit(seed: int = 0, generator: latent.GeneratorChoice = "digiface", truncation: float = latent.DEFAULT_TRUNCATION,
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
    edit = EditRequest(generator=generator, seed=seed, truncation=truncation, amounts=[pc1, pc2, pc3, pc4, pc5],
                       trait_with=trait_with, trait_without=trait_without, trait_amount=trait_amount)
    return {"image": image_out(get_pipeline().edit(edit))}


def api_latent_nearest(image: FileData, generator: latent.GeneratorChoice = "fashion-mnist", request: gr.Request = None) -> dict:
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


def api_latent_compare(generators: Optional[list[latent.GeneratorChoice]] = None, seed: int = 0, count: int = 4,
                       truncation: float = latent.DEFAULT_TRUNCATION, request: gr.Request = None) -> dict:
    """The same seeds through several generators, with the time each took.

    Args:
        generators: names (default: both).
        seed: the first seed.
        count: samples per generator, 1–32.
        truncation: 0–1.
    Returns:
        {"results": [{"generator", "images", "seeds", "seconds"}, …] in the order asked}
    """
    results = get_pipeline().compare(CompareRequest(generators=generators, seed=seed, count=count, truncation=truncation))
    return {"results": [{"generator": key, "images": images_out(r.images), "seeds": r.seeds, "seconds": round(r.seconds, 4)}
                        for key, r in results.items()]}


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("latent.intro"))
        shown_seeds = gr.State([], time_to_live=3 * 3600)  # the seeds behind the gallery's images, per user
        with gr.Row():
            generator = gr.Dropdown(GENERATOR_CHOICES, value="digiface", label=t("latent.generator"), info=t("latent.generator_info"),
                                    scale=2, min_width=260, elem_id="latent-generator")
            seed = seed_box(0, t("latent.seed"), info=t("latent.seed_info"), elem_id="latent-seed")
            dice = gr.Button(t("latent.random"), scale=0, size="sm")
            count = gr.Slider(1, latent.MAX_SAMPLES, value=8, step=1, label=t("latent.count"))
            truncation = gr.Slider(0, 1, value=latent.DEFAULT_TRUNCATION, step=0.05, label=t("latent.truncation"), info=t("latent.truncation_info"))
        sample_btn = gr.Button(t("latent.sample"), variant="primary")
        status = gr.Markdown(elem_id="latent-status")
        gallery = gr.Gallery(label=t("latent.samples"), columns=8, height=160, allow_preview=False, format="png", object_fit="contain",
                             interactive=False, elem_id="latent-samples")
        target = gr.Radio(
            [("A", "A"), ("B", "B"), ("C", "C"), (t("latent.seed_a"), "from"), (t("latent.seed_b"), "to"),
             (t("latent.edit_seed"), "edit"), (t("latent.trait_with"), "with"), (t("latent.trait_without"), "without")],
            value="A", label=t("latent.click_target"),
        )
        with gr.Tabs():
            with gr.Tab(t("latent.arithmetic")):
                gr.Markdown(t("latent.arith_hint"))
                boxes, clears = [], []
                with gr.Row():  # groups start empty; clicks fill them; each has its own clear button
                    for key, elem in (("latent.group_a", "a"), ("latent.group_b", "b"), ("latent.group_c", "c")):
                        with gr.Column(min_width=120):
                            boxes.append(gr.Textbox("", label=t(key), placeholder=t("latent.groups_placeholder"), elem_id=f"latent-group-{elem}"))
                            clears.append(gr.Button(t("latent.clear"), size="sm", elem_id=f"latent-clear-{elem}"))
                a_box, b_box, c_box = boxes
                arith_btn = gr.Button(t("latent.run_arith"), variant="primary")
                arith_status = gr.Markdown(elem_id="latent-arith-status")
                with gr.Row():
                    mean_a = gr.Image(format="png", label=t("latent.mean_a"), height=160, interactive=False, elem_classes="latent-big")
                    mean_b = gr.Image(format="png", label=t("latent.mean_b"), height=160, interactive=False, elem_classes="latent-big")
                    mean_c = gr.Image(format="png", label=t("latent.mean_c"), height=160, interactive=False, elem_classes="latent-big")
                    arith_out = gr.Image(format="png", label=t("latent.result"), height=160, interactive=False,
                                         elem_id="latent-arith-result", elem_classes="latent-big")
            with gr.Tab(t("latent.interpolate")):
                with gr.Row():
                    seed_a = seed_box(0, t("latent.seed_a"))
                    seed_b = seed_box(1, t("latent.seed_b"))
                    steps = gr.Slider(2, latent.MAX_STEPS, value=8, step=1, label=t("latent.steps"))
                    mode = gr.Radio([(t(f"latent.mode_{m}"), m) for m in latent.INTERPOLATION_MODES], value="spherical", label=t("latent.mode"), info=t("latent.mode_info"))
                interp_btn = gr.Button(t("latent.run_interp"), variant="primary")
                interp_status = gr.Markdown(elem_id="latent-interp-status")
                strip = gr.Gallery(label=t("latent.strip"), columns=8, height=200, allow_preview=False, format="png", object_fit="contain",
                                   interactive=False, elem_id="latent-strip")
            with gr.Tab(t("latent.sliders")):
                gr.Markdown(t("latent.sliders_hint"))
                with gr.Row():
                    with gr.Column():
                        edit_seed = seed_box(0, t("latent.edit_seed"), elem_id="latent-edit-seed")
                        pcs = [gr.Slider(-latent.MAX_EDIT, latent.MAX_EDIT, value=0, step=0.1, label=f"{DIRECTION_NAMES[i]}",
                                         info=t("latent.pc_info") if i == 0 else None) for i in range(latent.N_DIRECTIONS)]
                        with gr.Row():
                            trait_with = gr.Textbox("", label=t("latent.trait_with"), placeholder="10, 11, 12")
                            trait_without = gr.Textbox("", label=t("latent.trait_without"), placeholder="13, 14, 15")
                        trait_amount = gr.Slider(-latent.MAX_EDIT, latent.MAX_EDIT, value=0, step=0.1, label=t("latent.trait_amount"))
                    with gr.Column():
                        edited = gr.Image(format="png", label=t("latent.edited"), height=256, interactive=False, elem_id="latent-edited",
                                          elem_classes="latent-big")
                        edit_status = gr.Markdown(elem_id="latent-edit-status")
                        # Only where the training images are here (the generator trained in this project).
                        nearest_btn = gr.Button(t("latent.copying"), visible=False, elem_id="latent-nearest")
                        nearest_text = gr.Markdown(elem_id="latent-nearest-text")
                        nearest = gr.Gallery(label=t("latent.nearest"), columns=5, allow_preview=False, format="png",
                                             interactive=False, elem_id="latent-nearest-found", elem_classes="full-captions")
            with gr.Tab(t("latent.compare")):
                gr.Markdown(t("latent.compare_hint"))
                which = gr.CheckboxGroup(GENERATOR_CHOICES, value=[key for _, key in GENERATOR_CHOICES], label=t("latent.compare_which"))
                compare_btn = gr.Button(t("latent.run_compare"), variant="primary")
                compare_status = gr.Markdown(elem_id="latent-compare-status")
                compared = gr.Gallery(label=t("latent.compared"), columns=8, allow_preview=False, format="png", object_fit="contain",
                                      interactive=False, elem_id="latent-compared", elem_classes="full-captions")  # 8 a row: the count's default

        # Programs call the typed endpoints (published first, so they own the names); the page's events are private.
        for fn, name in ((api_latent_samples, "latent_samples"), (api_latent_arithmetic, "latent_arithmetic"),
                         (api_latent_interpolate, "latent_interpolate"), (api_latent_edit, "latent_edit"),
                         (api_latent_nearest, "latent_nearest"), (api_latent_compare, "latent_compare")):
            publish(fn, name)
        dice.click(random_seed, outputs=seed, api_visibility="private")
        sample_inputs = [generator, seed, count, truncation]
        # Samples appear when the page opens; errors go to the status line under each action's button. What a button
        # makes (or its message) is then scrolled into view.
        page_samples, sampled = status_line(latent_samples, 3), [gallery, shown_seeds, status]
        gr.on([generator.change, demo.load], page_samples, sample_inputs, sampled, api_visibility="private")
        revealing(sample_btn.click(page_samples, sample_inputs, sampled, api_visibility="private"), "#latent-samples", "#latent-status")
        targets = [a_box, b_box, c_box, seed_a, seed_b, edit_seed, trait_with, trait_without]
        gallery.select(pick_sample, [shown_seeds, gallery, target, *targets], [*targets, gallery], api_visibility="private")
        for box, clear in zip(boxes, clears):
            clear.click(lambda: "", None, box, api_visibility="private")
        revealing(arith_btn.click(status_line(latent_arithmetic, 5), [generator, a_box, b_box, c_box, truncation],
                                  [arith_out, mean_a, mean_b, mean_c, arith_status], api_visibility="private"),
                  "#latent-arith-result", "#latent-arith-status")
        revealing(interp_btn.click(status_line(latent_interpolate, 2), [generator, seed_a, seed_b, steps, mode, truncation],
                                   [strip, interp_status], api_visibility="private"), "#latent-strip", "#latent-interp-status")
        edit_inputs = [generator, edit_seed, truncation, *pcs, trait_with, trait_without, trait_amount]
        gr.on(
            [edit_seed.change, *[s.input for s in (*pcs, trait_amount)], generator.change],
            status_line(latent_edit, 2), edit_inputs, [edited, edit_status], api_visibility="private",
            trigger_mode="always_last", show_progress="hidden", js=clamped(edit_inputs),  # a number typed past ±5: ±5
        )
        gr.on([generator.change, demo.load], lambda g: gr.Button(visible=g in WITH_TRAINING_SET), generator, nearest_btn,
              api_visibility="private")
        revealing(nearest_btn.click(status_line(latent_nearest, 3), edit_inputs, [nearest, nearest_text, edit_status],
                                    api_visibility="private"), "#latent-nearest-text", "#latent-edit-status")
        revealing(compare_btn.click(status_line(latent_compare, 2), [which, seed, count, truncation], [compared, compare_status],
                                    api_visibility="private"), "#latent-compared", "#latent-compare-status")
    return demo
