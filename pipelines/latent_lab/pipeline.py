"""Latent Lab: sampling, arithmetic, interpolation and edits in a DCGAN's latent space.

    lab = get_pipeline()
    result = lab.samples(SamplesRequest(generator="digiface", seed=3, count=8))
    result.images, result.seeds

One frozen request dataclass per action, checked once when it is built (its `__post_init__` raises a
ValueError quoting a bad value); `LatentLabPipeline` picks the request's generator (`LatentLab`, loaded
on first use and kept) and returns a small dataclass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Optional, Sequence

import torch
from PIL import Image

from pipelines.common.batch_invariance import make_batch_invariant
from pipelines.common.batching import Job, MicroBatcher
from pipelines.common.config import get_settings
from pipelines.common.images import tensor_to_pil
from pipelines.common.korean import korean_names
from pipelines.common.loading import ModelUnavailableError, cached_loader, resolve_model_source
from pipelines.common.progress import DONE, ProgressFn, report
from pipelines.common.seeding import check_seed, check_seed_list, cpu_generator
from pipelines.common.torch_setup import configure_torch, get_device
from pipelines.common.validation import Notice, UserInputError, check_choice, check_number, quote, set_checked
from pipelines.common.dcgan.model import WEIGHTS_FILE, Generator, load_generator
from pipelines.latent_lab.nearest import NearestResult, get_nearest

MAX_SAMPLES = 32  # images per request
MAX_GROUP = 16  # seeds per arithmetic group
MAX_STEPS = 16  # frames of an interpolation strip
N_DIRECTIONS = 5  # GANSpace sliders
MAX_EDIT = 5.0  # slider reach, in standard deviations of z along a direction
DEFAULT_TRUNCATION = 0.8
INTERPOLATION_MODES = ("linear", "spherical")
DEFAULT_MODE = "spherical"  # keeps every frame as typical as the ends
DEFAULT_GENERATOR = "digiface"
COMPARE_COUNT = 4  # samples per generator side by side, unless asked otherwise
WITH_TRAINING_SET = ("fashion-mnist",)  # generators trained here: their training images are at hand ("Is it copying?")


@dataclass(frozen=True)
class Span:
    """A number's range, default and step: stated once here, checked by the requests, offered by the page's sliders."""
    low: float
    high: float
    default: float
    step: float = 1
    whole: bool = False

    def check(self, value: Any, name: str) -> float:
        return check_number(value, name, self.low, self.high, whole=self.whole)


COUNT = Span(1, MAX_SAMPLES, 8, whole=True)  # samples per request
TRUNCATION = Span(0, 1, DEFAULT_TRUNCATION, 0.05)  # 0 = the average sample, 1 = the generator's full variety
STEPS = Span(2, MAX_STEPS, 8, whole=True)  # frames of an interpolation strip, both ends included
EDIT = Span(-MAX_EDIT, MAX_EDIT, 0, 0.1)  # a slider's move along a direction, in standard deviations


def _settings_paths() -> dict[str, str]:
    s = get_settings()
    return {"digiface": s.face_generator, "fashion-mnist": s.fashion_generator}


GENERATORS = tuple(_settings_paths())  # the keys clients pass as `generator`
GeneratorChoice = Literal[GENERATORS]  # the API schema lists them
InterpolationMode = Literal[INTERPOLATION_MODES]
GENERATORS_KO = {"digiface": "얼굴 생성기", "fashion-mnist": "Fashion-MNIST 생성기"}
korean_names({"generator": "생성기", "generators": "생성기 목록", "truncation": "다양성(절단 ψ)", "count": "샘플 수",
              "group A": "그룹 A", "group B": "그룹 B", "group C": "그룹 C", "seed_a": "시작 시드", "seed_b": "끝 시드",
              "steps": "단계 수", "mode": "방식", "amounts": "방향 값", "trait amount": "특성 강도",
              "trait 'with' samples": "특성이 있는 샘플", "trait 'without' samples": "특성이 없는 샘플",
              **{f"direction {i + 1}": f"방향 {i + 1}" for i in range(N_DIRECTIONS)},
              **{f"generator {key!r}": name for key, name in GENERATORS_KO.items()}})


def check_generator(key: Any) -> str:
    return check_choice(key, "generator", GENERATORS)


def check_truncation(value: Any) -> float:
    return TRUNCATION.check(value, "truncation")


def check_amount(value: Any, name: str) -> float:
    return EDIT.check(value, name)


def has_training_set(key: str) -> bool:
    """Whether the copy check can run for this generator (the page shows its button only then)."""
    return key in WITH_TRAINING_SET


# -- requests ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SamplesRequest:
    generator: str = DEFAULT_GENERATOR  # one of GENERATORS
    seed: int = 0  # the first sample's seed; the others follow: seed + 1, seed + 2, …
    count: int = COUNT.default  # 1–MAX_SAMPLES
    truncation: float = DEFAULT_TRUNCATION  # 0–1: lower = more typical samples (0 = the average one)

    def __post_init__(self) -> None:
        set_checked(self, generator=check_generator(self.generator), seed=check_seed(self.seed),
                    count=COUNT.check(self.count, "count"), truncation=check_truncation(self.truncation))


@dataclass(frozen=True)
class ArithmeticRequest:
    a_seeds: Sequence[int]  # 1–MAX_GROUP seeds per group (a list, or text "1, 2, 3")
    b_seeds: Sequence[int]
    c_seeds: Sequence[int]
    generator: str = DEFAULT_GENERATOR
    truncation: float = DEFAULT_TRUNCATION

    def __post_init__(self) -> None:
        set_checked(self, generator=check_generator(self.generator),
                    a_seeds=tuple(check_seed_list(self.a_seeds, "group A", MAX_GROUP)),
                    b_seeds=tuple(check_seed_list(self.b_seeds, "group B", MAX_GROUP)),
                    c_seeds=tuple(check_seed_list(self.c_seeds, "group C", MAX_GROUP)),
                    truncation=check_truncation(self.truncation))


@dataclass(frozen=True)
class InterpolateRequest:
    generator: str = DEFAULT_GENERATOR
    seed_a: int = 0  # the first frame's sample
    seed_b: int = 1  # the last frame's sample
    steps: int = STEPS.default  # frames, 2–MAX_STEPS
    mode: str = DEFAULT_MODE  # one of INTERPOLATION_MODES; spherical keeps every frame as typical as the ends
    truncation: float = DEFAULT_TRUNCATION

    def __post_init__(self) -> None:
        set_checked(self, generator=check_generator(self.generator), seed_a=check_seed(self.seed_a, "seed_a"),
                    seed_b=check_seed(self.seed_b, "seed_b"), steps=STEPS.check(self.steps, "steps"),
                    mode=check_choice(self.mode, "mode", INTERPOLATION_MODES), truncation=check_truncation(self.truncation))


@dataclass(frozen=True)
class EditRequest:
    generator: str = DEFAULT_GENERATOR
    seed: int = 0  # the sample to edit
    truncation: float = DEFAULT_TRUNCATION
    amounts: Sequence[float] = ()  # up to N_DIRECTIONS shifts along the principal directions, ±MAX_EDIT each
    # a direction defined by example: from the mean of samples without a trait to the mean of those with it
    trait_with: Sequence[int] = ()  # seeds (a list, or text "1, 2, 3"); read only when trait_amount is not 0
    trait_without: Sequence[int] = ()
    trait_amount: float = EDIT.default  # ±MAX_EDIT along the trait's direction

    def __post_init__(self) -> None:
        set_checked(self, generator=check_generator(self.generator), seed=check_seed(self.seed), truncation=check_truncation(self.truncation))
        if not isinstance(self.amounts, (list, tuple)) or len(self.amounts) > N_DIRECTIONS:
            raise UserInputError("list.long", f"amounts must be a list of at most {N_DIRECTIONS} numbers, got {quote(self.amounts)}",
                                 "{name}은(는) 숫자 {limit}개 이하의 목록이어야 합니다. 받은 값: {value}",
                                 name="amounts", limit=N_DIRECTIONS, value=quote(self.amounts))
        set_checked(self, amounts=tuple(check_amount(a, f"direction {i + 1}") for i, a in enumerate(self.amounts)),
                    trait_amount=check_amount(self.trait_amount, "trait amount"))
        if self.trait_amount:  # the trait's samples are read (and checked) only when the trait is used
            set_checked(self, trait_with=tuple(check_seed_list(self.trait_with, "trait 'with' samples", MAX_GROUP)),
                        trait_without=tuple(check_seed_list(self.trait_without, "trait 'without' samples", MAX_GROUP)))
        else:
            set_checked(self, trait_with=(), trait_without=())


@dataclass(frozen=True)
class CopyCheckRequest:
    image: Image.Image  # a picture (a generated sample, or an upload opened by the caller)
    generator: str = WITH_TRAINING_SET[0]  # whose training images to search (only generators trained here have them)

    def __post_init__(self) -> None:
        set_checked(self, generator=check_generator(self.generator))


@dataclass(frozen=True)
class CompareRequest:
    generators: Optional[Sequence[str]] = None  # which, in this order (None: every one of GENERATORS)
    seed: int = 0
    count: int = COMPARE_COUNT
    truncation: float = DEFAULT_TRUNCATION
    per_generator: SamplesRequest = field(init=False, repr=False)  # what each generator is given, checked once

    def __post_init__(self) -> None:
        keys = GENERATORS if self.generators is None else [self.generators] if isinstance(self.generators, str) else self.generators
        if not isinstance(keys, (list, tuple)) or not keys:
            raise UserInputError("list.empty", f"generators must be a non-empty list, got {quote(keys)}",
                                 "{name}은(는) 비어 있지 않은 목록이어야 합니다. 받은 값: {value}", name="generators",
                                 value=quote(keys))
        generators = tuple(dict.fromkeys(check_generator(k) for k in keys[:100]))  # each generator once
        samples = SamplesRequest(seed=self.seed, count=self.count, truncation=self.truncation)
        set_checked(self, generators=generators, seed=samples.seed, count=samples.count, truncation=samples.truncation,
                    per_generator=samples)


# -- results -------------------------------------------------------------------------------------
@dataclass
class LatentImages:
    images: list[Image.Image]
    labels: list[str]  # one caption per image (its seed, or its place in a strip)
    seconds: float
    seeds: list[int] = field(default_factory=list)  # the seed behind each image, where there is one


@dataclass
class ArithmeticResult:
    image: Image.Image  # generator(mean(A) - mean(B) + mean(C))
    group_means: list[Image.Image]  # generator(mean(A)), generator(mean(B)), generator(mean(C))
    seconds: float


@dataclass
class Directions:
    vectors: torch.Tensor  # (k, z_dim), unit length: GANSpace principal directions in z
    explained: list[float] = field(default_factory=list)  # share of feature variance of each


class LatentLab:
    def __init__(self, generator: Generator, info: Optional[dict] = None) -> None:
        self.device = get_device()
        self.generator = generator.eval().requires_grad_(False).to(self.device)
        self.info = info or {}
        self.z_dim = generator.config.z_dim
        # Slider moves and samples from many people share passes of the generator (pipelines/common/batching.py).
        settings = get_settings()
        self.batcher = MicroBatcher(self._render_jobs, settings.max_batch, wait=0.002, name="latent generator",
                                    workers=settings.model_workers)

    # -- latents -----------------------------------------------------------------------
    def latent(self, seed: int, truncation: float = 1.0) -> torch.Tensor:
        """z for a seed: N(0, I) drawn on the CPU, scaled towards the mean by `truncation`."""
        return torch.randn(self.z_dim, generator=cpu_generator(seed)) * truncation

    def latents(self, seeds: Sequence[int], truncation: float = 1.0) -> torch.Tensor:
        return torch.stack([self.latent(s, truncation) for s in seeds])

    def render(self, z: torch.Tensor) -> list[Image.Image]:
        z = z.reshape(-1, self.z_dim)  # drawn on the CPU: the same seed gives the same image on any device
        return self.batcher.submit(None, z, len(z))

    @torch.inference_mode()
    def _render_jobs(self, key, jobs: list[Job]) -> list[list[Image.Image]]:
        images = tensor_to_pil(self.generator(torch.cat([job.item for job in jobs]).to(self.device)))
        counts = [len(job.item) for job in jobs]
        return [images[sum(counts[:i]):sum(counts[:i + 1])] for i in range(len(jobs))]

    # -- operations: each takes a checked request for this lab's generator -----------------
    def samples(self, request: SamplesRequest) -> LatentImages:
        """`count` samples with seeds seed, seed+1, …"""
        seeds = [(request.seed + i) % 2**32 for i in range(request.count)]
        start = time.perf_counter()
        images = self.render(self.latents(seeds, request.truncation))
        return LatentImages(images, [f"seed {s}" for s in seeds], time.perf_counter() - start, seeds)

    def arithmetic(self, request: ArithmeticRequest) -> ArithmeticResult:
        """mean(A) − mean(B) + mean(C); averaging a few exemplars per concept steadies the result."""
        start = time.perf_counter()
        members = [self.latents(g, request.truncation) for g in (request.a_seeds, request.b_seeds, request.c_seeds)]
        # Averaging k Gaussian vectors shrinks their length by √k, off the shell the generator
        # was trained on (blurry, washed-out faces); so each mean, and the result, is scaled
        # back to the average length of the samples it came from.
        means = torch.stack([_with_norm(m.mean(0), m.norm(dim=1).mean()) for m in members])
        typical = torch.cat(members).norm(dim=1).mean()
        result = _with_norm(means[0] - means[1] + means[2], typical)
        images = self.render(torch.cat([means, result[None]]))
        return ArithmeticResult(images[3], images[:3], time.perf_counter() - start)

    def interpolate(self, request: InterpolateRequest) -> LatentImages:
        """A strip from sample A to sample B. Spherical keeps |z| typical along the way."""
        za, zb = self.latent(request.seed_a, request.truncation), self.latent(request.seed_b, request.truncation)
        ts = torch.linspace(0, 1, request.steps)
        start = time.perf_counter()
        z = torch.stack([slerp(za, zb, t) if request.mode == "spherical" else torch.lerp(za, zb, t) for t in ts])
        images = self.render(z)
        return LatentImages(images, [f"{t:.2f}" for t in ts.tolist()], time.perf_counter() - start)

    def edit(self, request: EditRequest) -> Image.Image:
        """A seed's sample moved along the principal directions (and a user trait direction)."""
        z = self.latent(request.seed, request.truncation)
        if request.amounts:
            z = z + torch.tensor(request.amounts) @ self.directions.vectors[: len(request.amounts)]
        if request.trait_amount:
            z = z + request.trait_amount * self.trait_direction(request.trait_with, request.trait_without)
        return self.render(z)[0]

    def trait_direction(self, with_seeds: Sequence[int], without_seeds: Sequence[int]) -> torch.Tensor:
        """Unit vector from the mean of samples without a trait to the mean of those with it."""
        diff = self.latents(with_seeds).mean(0) - self.latents(without_seeds).mean(0)
        norm = diff.norm()
        if norm < 1e-6:
            raise UserInputError("trait.same", "the 'with' and 'without' samples are the same: pick different ones",
                                 "특성이 있는 샘플과 없는 샘플이 같습니다. 서로 다른 샘플을 고르세요.")
        return diff / norm

    @cached_property
    def directions(self) -> Directions:
        return principal_directions(self.generator, N_DIRECTIONS)


def _with_norm(v: torch.Tensor, norm: torch.Tensor) -> torch.Tensor:
    return v * (norm / v.norm().clamp_min(1e-8))


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation (Shoemake 1985), as in White's "Sampling Generative Networks"."""
    if a.norm() < 1e-8 or b.norm() < 1e-8:  # truncation 0: both ends are the mean, nothing to turn around
        return torch.lerp(a, b, t)
    cos = torch.dot(a / a.norm(), b / b.norm()).clamp(-1, 1)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-4:
        return torch.lerp(a, b, t)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


@torch.inference_mode()
def principal_directions(generator: Generator, k: int, samples: int = 2048, seed: int = 0) -> Directions:
    """GANSpace (Härkönen et al., 2020) for a z-only generator.

    PCA of the first layer's activations over random z, then a least-squares map from the
    PCA coordinates back to z gives one latent direction per component. Fixed `seed`, so
    the sliders mean the same thing after every restart.
    """
    z = torch.randn(samples, generator.config.z_dim, generator=cpu_generator(seed))
    features = generator.first_features(z.to(next(generator.parameters()).device)).cpu()
    features = features - features.mean(0)
    # A randomised SVD is enough for the top k components, and ~20x faster than a full one.
    with torch.random.fork_rng():  # svd_lowrank draws from the global RNG
        torch.manual_seed(seed)
        _, s, v = torch.svd_lowrank(features, q=k + 8, niter=4)
    coords = features @ v[:, :k]  # (samples, k)
    coords = coords / coords.std(0)
    vectors = torch.linalg.lstsq(coords, z).solution  # (k, z_dim): z ≈ coords @ vectors
    vectors = vectors / vectors.norm(dim=1, keepdim=True)
    explained = (s[:k] ** 2 / features.pow(2).sum()).tolist()
    return Directions(vectors, explained)


@cached_loader
def load_lab(key: str) -> LatentLab:
    """The lab for a generator key (checked by the request), loaded on first use and kept."""
    configure_torch()
    # A local checkpoint folder, or a hub repo holding one (offline: only if already cached).
    folder = resolve_model_source(_settings_paths()[key], what=f"generator {key!r}")
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelUnavailableError(f"generator {key!r}: {str(folder)!r} holds no {WEIGHTS_FILE}",
                                    "{name}: {folder}에 {file}이(가) 없습니다.", name=GENERATORS_KO[key],
                                    folder=repr(str(folder)), file=WEIGHTS_FILE)
    generator, info = load_generator(folder)
    make_batch_invariant(generator)  # a seed's image must not depend on the requests it is drawn with
    return LatentLab(generator, info)


# -- the pipeline --------------------------------------------------------------------------------
class LatentLabPipeline:
    """The tab's one entry (see get_pipeline): each method takes one request and runs it on its generator."""

    def samples(self, request: SamplesRequest) -> LatentImages:
        return load_lab(request.generator).samples(request)

    def arithmetic(self, request: ArithmeticRequest) -> ArithmeticResult:
        return load_lab(request.generator).arithmetic(request)

    def interpolate(self, request: InterpolateRequest) -> LatentImages:
        return load_lab(request.generator).interpolate(request)

    def edit(self, request: EditRequest) -> Image.Image:
        return load_lab(request.generator).edit(request)

    def copy_check(self, request: CopyCheckRequest) -> NearestResult:
        """"Is it copying?": the training images nearest to the request's image, set against unseen real images
        (NearestResult.verdict). Only generators trained here have their training images at hand."""
        training_data = has_training_set(request.generator) and load_lab(request.generator).info.get("training_data")
        if not training_data:
            raise UserInputError("nearest.unavailable", "This generator was not trained here, so its training images are "
                                 "not available: try the Fashion-MNIST generator.",
                                 "이 생성기는 여기서 학습하지 않아 학습 이미지가 없습니다. Fashion-MNIST 생성기로 해 보세요.")
        return get_nearest(training_data).query(request.image)

    def compare(self, request: CompareRequest, progress: Optional[ProgressFn] = None) -> dict[str, LatentImages]:
        """The same seeds through several generators: {key: samples}, each with its time."""
        results = {}
        for i, key in enumerate(request.generators):
            report(progress, i / len(request.generators), Notice("progress.generator", key, GENERATORS_KO[key]))
            results[key] = load_lab(key).samples(request.per_generator)
        report(progress, 1.0, DONE)
        return results


@cached_loader
def get_pipeline() -> LatentLabPipeline:
    """The tab's pipeline, made on first use and shared."""
    return LatentLabPipeline()
