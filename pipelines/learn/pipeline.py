"""The tab's pipeline: samples, the measured side-by-side, latent maps, watching denoising, training in the page.

    learn = get_pipeline()
    result = learn.samples(SamplesRequest(family="gan", dataset="mnist", count=16))

`LearnPipeline` methods each take one frozen request dataclass (checked once, when it is built) and
return a dataclass. Models and measuring classifiers are loaded on first use and kept (cached_loader).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal, Optional

import torch
from PIL import Image

from pipelines.common.config import get_settings
from pipelines.common.emoji_diffusion.pipeline import load_emoji_pipeline
from pipelines.common.images import tensor_to_pil
from pipelines.common.loading import cached_loader
from pipelines.common.progress import DONE, ProgressFn, report
from pipelines.common.seeding import check_seed, cpu_generator
from pipelines.common.torch_setup import configure_torch
from pipelines.common.korean import korean_names
from pipelines.common.validation import CHOICE_KO, Notice, UserInputError, check_number, check_text, quote, set_checked
from pipelines.learn.base import Family, load_family
from pipelines.learn.denoisers import ANY_LABEL, DenoiseFrame, FamilyDenoiser, PromptDenoiser
from pipelines.learn.data import CLASS_NAMES, DATASETS, check_dataset, load_split
from pipelines.learn.families import FAMILIES, FAMILY_NAMES, LATENT_FAMILIES, TRAINABLE, check_family, checkpoint_dir
from pipelines.learn import live
from pipelines.learn.latent_map import LatentMap, draw_map
from pipelines.learn.live import LiveRequest, LiveUpdate
from pipelines.learn.metrics import Judge, Measures

MAX_SAMPLES = 64  # images per /learn_samples request
SHOWN = 8  # images per family in the side-by-side
MEASURED = 250  # samples per family behind the measured table
MAX_STRIP = 16  # frames of a decoded line
MAX_DENOISE_STEPS = 50  # DDIM steps the denoising viewer accepts
MAX_PROMPT_CHARS = 200  # a prompt for the Text → Image model in the viewer
EXAMPLE_PROMPT = "red apple"  # what the viewer's Text → Image model draws unless asked otherwise
korean_names({"count": "샘플 수", "frames": "프레임 수", "label": "클래스", "steps": "단계 수", "prompt": "프롬프트",
              "model": "모델"})


# -- requests ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SamplesRequest:
    family: str
    dataset: str
    count: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        set_checked(self, family=check_family(self.family), dataset=check_dataset(self.dataset),
                    count=check_number(self.count, "count", 1, MAX_SAMPLES, whole=True), seed=check_seed(self.seed))


@dataclass(frozen=True)
class CompareRequest:
    dataset: str
    seed: int = 0

    def __post_init__(self) -> None:
        set_checked(self, dataset=check_dataset(self.dataset), seed=check_seed(self.seed))


@dataclass(frozen=True)
class MapRequest:
    family: str  # one of LATENT_FAMILIES (a 2-D latent space)
    dataset: str

    def __post_init__(self) -> None:
        set_checked(self, family=check_family(self.family, LATENT_FAMILIES), dataset=check_dataset(self.dataset))


def _coordinate(value: Any, name: str) -> float:
    return check_number(value, name, -1e6, 1e6)  # the map's own bounds are checked by the pipeline


@dataclass(frozen=True)
class DecodeRequest:
    family: str
    dataset: str
    x: float
    y: float
    # a second point makes a strip of `frames` images along the line between them
    x2: Optional[float] = None
    y2: Optional[float] = None
    frames: int = 8

    def __post_init__(self) -> None:
        set_checked(self, family=check_family(self.family, LATENT_FAMILIES), dataset=check_dataset(self.dataset),
                    x=_coordinate(self.x, "x"), y=_coordinate(self.y, "y"))
        if (self.x2 is None) != (self.y2 is None):
            raise UserInputError("learn.line", "a line needs both x2 and y2 (or neither, for one point)",
                                 "선을 그리려면 x2와 y2가 둘 다 있어야 합니다(점 하나만 원하면 둘 다 비우세요).")
        if self.x2 is not None:
            set_checked(self, x2=_coordinate(self.x2, "x2"), y2=_coordinate(self.y2, "y2"))
        set_checked(self, frames=check_number(self.frames, "frames", 2, MAX_STRIP, whole=True))

    @property
    def points(self) -> list[tuple[float, float]]:
        return [(self.x, self.y)] + ([(self.x2, self.y2)] if self.x2 is not None else [])


@dataclass(frozen=True)
class DenoiseRequest:
    model: str
    label: int = ANY_LABEL  # a class index 0–9, or -1 for "any" (the digit and clothes models)
    seed: int = 0
    steps: int = 20
    prompt: str = ""  # what to draw (the Text → Image model, PROMPT_DENOISERS)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or self.model not in DENOISERS:
            raise UserInputError("choice", f"unknown model {str(self.model)[:80]!r}; choose one of: {', '.join(DENOISERS)}",
                                 CHOICE_KO, name="model", choices=", ".join(DENOISERS), value=quote(self.model))
        takes_prompt = self.model in PROMPT_DENOISERS
        set_checked(self, label=check_number(self.label, "label", ANY_LABEL, 9, whole=True), seed=check_seed(self.seed),
                    steps=check_number(self.steps, "steps", 1, MAX_DENOISE_STEPS, whole=True),
                    prompt=check_text(self.prompt, "prompt", MAX_PROMPT_CHARS, allow_empty=not takes_prompt,
                                      empty_hint=f"{self.model} draws what a prompt says, e.g. {EXAMPLE_PROMPT!r}"))


# -- results -------------------------------------------------------------------------------------
@dataclass
class Samples:
    images: list[Image.Image]
    seconds: float


@dataclass
class FamilyRow:
    family: str
    images: list[Image.Image]  # the first SHOWN samples
    training_cpu_seconds: float  # from the checkpoint's training record
    training_steps: int
    samples_per_second: float  # measured here, MEASURED samples in one batch
    measures: Measures


@dataclass
class Comparison:
    dataset: str
    seed: int
    rows: list[FamilyRow]
    real: Measures  # 250 held-out real test images, measured the same way: the best any family can do
    verdicts: list[Notice] = field(default_factory=list)  # where the measurements agree with the opinion slide


@dataclass
class Decoded:
    images: list[Image.Image]  # one image, or a strip along the line
    map_image: Image.Image  # the map with the point(s) marked
    points: list[tuple[float, float]]


# The digit and clothes denoisers (this tab's diffusion family): each name → the dataset it was trained on.
DENOISER_DATASETS = {f"{dataset}-diffusion": dataset for dataset in DATASETS}
# The `model` of /learn_denoise: a name → a loader of a denoiser (pipelines/learn/denoisers.py).
DENOISERS: dict[str, Callable[[], Any]] = {
    **{name: (lambda dataset=dataset: FamilyDenoiser(get_model("diffusion", dataset))) for name, dataset in DENOISER_DATASETS.items()},
    "emoji-diffusion": lambda: get_emoji_denoiser(get_settings().emoji_model),  # Text → Image's own
}
PROMPT_DENOISERS = ("emoji-diffusion",)  # the ones that draw a prompt, not a class
# The API schema lists the choices.
DenoiserChoice = Literal[tuple(DENOISERS)]
DatasetChoice = Literal[DATASETS]
FamilyChoice = Literal[tuple(FAMILIES)]
MapFamilyChoice = Literal[LATENT_FAMILIES]


def denoiser_classes(model: str) -> tuple[str, ...]:
    """The classes a denoiser draws (its training set's, `label` 0…), none for one that draws a prompt."""
    return CLASS_NAMES[DENOISER_DATASETS[model]] if model in DENOISER_DATASETS else ()


# -- loading -------------------------------------------------------------------------------------
@cached_loader
def get_emoji_denoiser(folder: str) -> PromptDenoiser:
    configure_torch()
    return PromptDenoiser(load_emoji_pipeline(folder))


@cached_loader
def get_model(family: str, dataset: str) -> Family:
    configure_torch()
    model, _ = load_family(checkpoint_dir(family, dataset), TRAINABLE)
    return model


@cached_loader
def get_record(family: str, dataset: str) -> dict:
    return json.loads((checkpoint_dir(family, dataset) / "config.json").read_text())["training"]


@cached_loader
def get_judge(dataset: str) -> Judge:
    return Judge(get_model("classifier", dataset), load_split(dataset))


@cached_loader
def get_map(family: str, dataset: str) -> LatentMap:
    split = load_split(dataset)
    with torch.no_grad():
        codes = get_model(family, dataset).encode(split.test_x[:2000])
    return draw_map(codes, split.test_y[:2000], split.classes)


# -- the pipeline --------------------------------------------------------------------------------
# The origin documents' opinion slide, as (training speed, diversity, quality). Their order was
# "fast/poor/poor, fast/poor/good, slow/good/good", read here as autoencoder, GAN, diffusion.
OPINIONS = {"autoencoder": ("fast", "poor", "poor"), "gan": ("fast", "poor", "good"), "diffusion": ("slow", "good", "good")}
WITHIN = 1.5  # a measure is "fast"/"good" within this factor of the best of the three
# The verdicts' words in English and Korean: the slide's aspects and the labels it gives them.
ASPECTS = {"training": Notice("learn.aspect.training", "training", "학습 속도"),
           "diversity": Notice("learn.aspect.diversity", "diversity", "다양성"),
           "quality": Notice("learn.aspect.quality", "quality", "품질")}
LABELS = {"fast": Notice("learn.label.fast", "fast", "빠름"), "slow": Notice("learn.label.slow", "slow", "느림"),
          "good": Notice("learn.label.good", "good", "좋음"), "poor": Notice("learn.label.poor", "poor", "나쁨")}


class LearnPipeline:
    """The tab's one entry (see get_pipeline)."""

    def __init__(self) -> None:
        self._comparisons: dict[tuple[str, int], Comparison] = {}  # deterministic: the page and the API share them

    def samples(self, request: SamplesRequest) -> Samples:
        model = get_model(request.family, request.dataset)
        start = time.perf_counter()
        images = model.sample(request.count, cpu_generator(request.seed))
        return Samples(tensor_to_pil(images), time.perf_counter() - start)

    def compare(self, request: CompareRequest, progress: Optional[ProgressFn] = None) -> Comparison:
        key = (request.dataset, request.seed)
        if key not in self._comparisons:
            if len(self._comparisons) >= 8:
                self._comparisons.pop(next(iter(self._comparisons)))
            self._comparisons[key] = _compare(request.dataset, request.seed, progress)
        return self._comparisons[key]

    def latent_map(self, request: MapRequest) -> LatentMap:
        return get_map(request.family, request.dataset)

    def decode(self, request: DecodeRequest) -> Decoded:
        latent_map = get_map(request.family, request.dataset)
        for x, y in request.points:
            latent_map.check(x, y)
        ends = torch.tensor(request.points, dtype=torch.float32)
        codes = ends if len(ends) == 1 else torch.stack([torch.lerp(ends[0], ends[1], t) for t in torch.linspace(0, 1, request.frames)])
        with torch.no_grad():
            images = tensor_to_pil(get_model(request.family, request.dataset).decode(codes))
        return Decoded(images, latent_map.marked(request.points), request.points)

    def denoise(self, request: DenoiseRequest) -> list[DenoiseFrame]:
        return DENOISERS[request.model]().frames(request)

    # -- training in the page: one training per session (see live.py) ---------------------------
    def train(self, session_id: str, request: LiveRequest, resume: bool = False) -> Iterator[LiveUpdate]:
        """Train from scratch (or, with `resume`, the session's model `request.steps` more), an update per slice."""
        return live.get_session(session_id).train(request, resume=resume)

    def stop_training(self, session_id: str) -> None:
        live.get_session(session_id).stop()

    def check_training_free(self, session_id: str) -> None:
        """Raise (UserInputError "learn.busy") while the session's training runs."""
        live.check_free(session_id)

    def drop_training(self, session_id: str) -> None:
        """Forget the session's model (Reset, a closed page, an expired state)."""
        live.drop_session(session_id)


@cached_loader
def get_pipeline() -> LearnPipeline:
    """The tab's pipeline, made on first use and shared."""
    return LearnPipeline()


def _compare(dataset: str, seed: int, progress: Optional[ProgressFn] = None) -> Comparison:
    judge = get_judge(dataset)
    rows = []
    for i, family in enumerate(FAMILIES):
        name = FAMILY_NAMES[family]
        report(progress, i / len(FAMILIES), Notice("learn.measuring", f"{name}: sampling and measuring",
                                                   "{family}: 샘플링하고 측정하는 중", family=name))
        model = get_model(family, dataset)
        start = time.perf_counter()
        samples = model.sample(MEASURED, cpu_generator(seed))
        seconds = time.perf_counter() - start
        record = get_record(family, dataset)
        rows.append(FamilyRow(family, tensor_to_pil(samples[:SHOWN]), record["cpu_seconds"], record["steps"],
                              MEASURED / seconds, judge.measure(samples)))
    report(progress, 1.0, DONE)
    return Comparison(dataset, seed, rows, judge.real_measures, verdict_sentences(verdict_parts(rows)))


def verdict_sentences(parts: list[tuple[str, list[tuple[str, str, str]]]]) -> list[Notice]:
    """The sentences of `verdict_parts`, in English and Korean: "Diffusion: training slow: agrees; …"."""
    sentences = []
    for family, triples in parts:
        aspects = {what: _aspect(what, said, got) for what, said, got in triples}
        sentences.append(Notice("learn.verdict", f"{FAMILY_NAMES[family]}: " + "; ".join(aspects.values()),
                                "{family}: " + "; ".join(f"{{{what}}}" for what in aspects), family=FAMILY_NAMES[family],
                                **aspects))
    return sentences


def _aspect(what: str, said: str, got: str) -> Notice:
    """One aspect of a verdict: the slide's label, and whether the measurement agrees."""
    if said == got:
        return Notice("learn.verdict.agrees", f"{what} {said}: agrees", "{what} {said}: 일치",
                      what=ASPECTS[what], said=LABELS[said])
    return Notice("learn.verdict.differs", f"{what} {said}: measured {got}", "{what} {said}: 측정 결과 {got}",
                  what=ASPECTS[what], said=LABELS[said], got=LABELS[got])


def verdict_parts(rows: list[FamilyRow]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Per family of the opinion slide: (family, [(aspect, the slide's label, the measured label)]) for
    training ("fast"/"slow"), diversity and quality ("good"/"poor")."""
    by = {r.family: r for r in rows if r.family in OPINIONS}
    if len(by) < len(OPINIONS):
        return []
    best_time = min(r.training_cpu_seconds for r in by.values())
    best_recall = max(r.measures.recall for r in by.values())
    best_fd = min(r.measures.frechet for r in by.values())
    sentences = []
    for family, (speed, diversity, quality) in OPINIONS.items():
        m = by[family]
        measured = (
            "fast" if m.training_cpu_seconds <= WITHIN * best_time else "slow",
            "good" if m.measures.recall * WITHIN >= best_recall else "poor",
            "good" if m.measures.frechet <= WITHIN * best_fd else "poor",
        )
        sentences.append((family, list(zip(("training", "diversity", "quality"), (speed, diversity, quality), measured))))
    return sentences
