"""Latent Lab: sampling, arithmetic, interpolation and edits in a DCGAN's latent space.

`LatentLab(generator)` wraps one generator; `get_lab(key)` returns the cached lab for one of
the generators in `GENERATORS`. Every public method validates its arguments and raises
ValueError quoting a bad one; every one returns a small dataclass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional, Sequence

import torch
from PIL import Image

from pipelines.common.config import get_settings
from pipelines.common.images import tensor_to_pil
from pipelines.common.loading import ModelUnavailableError, cached_loader, resolve_model_source
from pipelines.common.progress import ProgressFn, report
from pipelines.common.seeding import check_seed, check_seed_list, cpu_generator
from pipelines.common.torch_setup import configure_torch, get_device
from pipelines.common.validation import UserInputError, check_choice, check_number, quote
from pipelines.common.dcgan.model import WEIGHTS_FILE, Generator, load_generator

MAX_SAMPLES = 32  # images per request
MAX_GROUP = 16  # seeds per arithmetic group
MAX_STEPS = 16  # frames of an interpolation strip
N_DIRECTIONS = 5  # GANSpace sliders
MAX_EDIT = 5.0  # slider reach, in standard deviations of z along a direction
DEFAULT_TRUNCATION = 0.8
INTERPOLATION_MODES = ("linear", "spherical")


def _settings_paths() -> dict[str, str]:
    s = get_settings()
    return {"digiface": s.face_generator, "fashion-mnist": s.fashion_generator}


GENERATORS = tuple(_settings_paths())  # the keys clients pass as `generator`


def check_generator(key: Any) -> str:
    return check_choice(key, "generator", GENERATORS)


def check_truncation(value: Any) -> float:
    return check_number(value, "truncation", 0.0, 1.0)


def check_amount(value: Any, name: str) -> float:
    return check_number(value, name, -MAX_EDIT, MAX_EDIT)


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

    # -- latents -----------------------------------------------------------------------
    def latent(self, seed: int, truncation: float = 1.0) -> torch.Tensor:
        """z for a seed: N(0, I) drawn on the CPU, scaled towards the mean by `truncation`."""
        return torch.randn(self.z_dim, generator=cpu_generator(seed)) * truncation

    def latents(self, seeds: Sequence[int], truncation: float = 1.0) -> torch.Tensor:
        return torch.stack([self.latent(s, truncation) for s in seeds])

    @torch.inference_mode()
    def render(self, z: torch.Tensor) -> list[Image.Image]:
        # z is always drawn on the CPU (the same seed, the same image, on any device)
        return tensor_to_pil(self.generator(z.reshape(-1, self.z_dim).to(self.device)))

    # -- operations --------------------------------------------------------------------
    def samples(self, seed: Any, count: Any = 8, truncation: Any = DEFAULT_TRUNCATION) -> LatentImages:
        """`count` samples with seeds seed, seed+1, …"""
        seed = check_seed(seed)
        count = check_number(count, "count", 1, MAX_SAMPLES, whole=True)
        psi = check_truncation(truncation)
        seeds = [(seed + i) % 2**32 for i in range(count)]
        start = time.perf_counter()
        images = self.render(self.latents(seeds, psi))
        return LatentImages(images, [f"seed {s}" for s in seeds], time.perf_counter() - start, seeds)

    def arithmetic(self, a_seeds: Any, b_seeds: Any, c_seeds: Any, truncation: Any = DEFAULT_TRUNCATION) -> ArithmeticResult:
        """mean(A) − mean(B) + mean(C); averaging a few exemplars per concept steadies the result."""
        groups = [check_seed_list(s, name, MAX_GROUP) for s, name in ((a_seeds, "group A"), (b_seeds, "group B"), (c_seeds, "group C"))]
        psi = check_truncation(truncation)
        start = time.perf_counter()
        members = [self.latents(g, psi) for g in groups]
        # Averaging k Gaussian vectors shrinks their length by √k, off the shell the generator
        # was trained on (blurry, washed-out faces); so each mean, and the result, is scaled
        # back to the average length of the samples it came from.
        means = torch.stack([_with_norm(m.mean(0), m.norm(dim=1).mean()) for m in members])
        typical = torch.cat(members).norm(dim=1).mean()
        result = _with_norm(means[0] - means[1] + means[2], typical)
        images = self.render(torch.cat([means, result[None]]))
        return ArithmeticResult(images[3], images[:3], time.perf_counter() - start)

    def interpolate(self, seed_a: Any, seed_b: Any, steps: Any = 8, mode: Any = "spherical", truncation: Any = DEFAULT_TRUNCATION) -> LatentImages:
        """A strip from sample A to sample B. Spherical keeps |z| typical along the way."""
        seed_a, seed_b = check_seed(seed_a, "seed_a"), check_seed(seed_b, "seed_b")
        steps = check_number(steps, "steps", 2, MAX_STEPS, whole=True)
        check_choice(mode, "mode", INTERPOLATION_MODES)
        psi = check_truncation(truncation)
        za, zb = self.latent(seed_a, psi), self.latent(seed_b, psi)
        ts = torch.linspace(0, 1, steps)
        start = time.perf_counter()
        z = torch.stack([slerp(za, zb, t) if mode == "spherical" else torch.lerp(za, zb, t) for t in ts])
        images = self.render(z)
        return LatentImages(images, [f"{t:.2f}" for t in ts.tolist()], time.perf_counter() - start)

    def edit(
        self,
        seed: Any,
        truncation: Any = DEFAULT_TRUNCATION,
        amounts: Sequence[Any] = (),
        trait_with: Any = None,
        trait_without: Any = None,
        trait_amount: Any = 0.0,
    ) -> Image.Image:
        """A seed's sample moved along the principal directions (and a user trait direction)."""
        seed, psi = check_seed(seed), check_truncation(truncation)
        if not isinstance(amounts, (list, tuple)) or len(amounts) > N_DIRECTIONS:
            raise UserInputError("list.long", f"amounts must be a list of at most {N_DIRECTIONS} numbers, got {quote(amounts)}",
                                 name="amounts", limit=N_DIRECTIONS)
        shifts = [check_amount(a, f"direction {i + 1}") for i, a in enumerate(amounts)]
        trait_amount = check_amount(trait_amount, "trait amount")
        z = self.latent(seed, psi)
        if shifts:
            z = z + torch.tensor(shifts) @ self.directions.vectors[: len(shifts)]
        if trait_amount:
            z = z + trait_amount * self.trait_direction(trait_with, trait_without)
        return self.render(z)[0]

    def trait_direction(self, with_seeds: Any, without_seeds: Any) -> torch.Tensor:
        """Unit vector from the mean of samples without a trait to the mean of those with it."""
        pos = check_seed_list(with_seeds, "trait 'with' samples", MAX_GROUP)
        neg = check_seed_list(without_seeds, "trait 'without' samples", MAX_GROUP)
        diff = self.latents(pos).mean(0) - self.latents(neg).mean(0)
        norm = diff.norm()
        if norm < 1e-6:
            raise ValueError("the 'with' and 'without' samples are the same: pick different ones")
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
def get_lab(key: str) -> LatentLab:
    """The lab for a generator key, loaded on first use and kept."""
    check_generator(key)
    configure_torch()
    # A local checkpoint folder, or a hub repo holding one (offline: only if already cached).
    folder = resolve_model_source(_settings_paths()[key], what=f"generator {key!r}")
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelUnavailableError(f"generator {key!r}: {str(folder)!r} holds no {WEIGHTS_FILE}")
    generator, info = load_generator(folder)
    return LatentLab(generator, info)


def compare(keys: Any, seed: Any, count: Any = 4, truncation: Any = DEFAULT_TRUNCATION, progress: Optional[ProgressFn] = None) -> dict[str, LatentImages]:
    """The same seeds through several generators: {key: samples}, each with its time."""
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, (list, tuple)) or not keys:
        raise UserInputError("list.empty", f"generators must be a non-empty list, got {quote(keys)}", name="generators")
    keys = list(dict.fromkeys(check_generator(k) for k in keys[:100]))  # each generator once
    results = {}
    for i, key in enumerate(keys):
        report(progress, i / len(keys), f"{key}")
        results[check_generator(key)] = get_lab(key).samples(seed, count, truncation)
    report(progress, 1.0, "done")
    return results


