"""Generated faces for the quiz, and the check that none is a near-copy of a real photo.

A fake is shown only if its distance to every one of the 100 real photos is at least the
smallest distance between two different real photos: a fake closer to a photo than any two
photos are to each other would be a near-copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipelines.common.images import pairwise_rms
from pipelines.common.seeding import cpu_generator
from pipelines.common.torch_setup import get_device
from pipelines.face_quiz.data import real_faces
from pipelines.face_quiz.domain import QuizDomain
from pipelines.common.dcgan.model import Generator, load_generator


def _flat(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(images, dtype=torch.float32).reshape(len(images), -1)


def near_copy_threshold(reals: np.ndarray) -> float:
    """The smallest RMS distance between two different real photos."""
    d = pairwise_rms(_flat(reals), _flat(reals))
    d.fill_diagonal_(float("inf"))
    return float(d.min())


@dataclass
class FakePool:
    seeds: list[int]  # seeds whose faces passed the near-copy check
    nearest_real: list[float]  # each accepted face's distance to its nearest real photo
    rejected: int  # how many of the candidates were near-copies
    threshold: float  # the near-copy distance used


class FakeFaces:
    """A generator plus its QuizDomain: seeds → 25×25 grayscale faces in [0, 1]."""

    def __init__(self, generator: Generator, domain: QuizDomain) -> None:
        self.device = get_device()
        self.generator = generator.eval().requires_grad_(False).to(self.device)
        self.domain = domain

    @classmethod
    def from_checkpoint(cls, folder: str | Path) -> "FakeFaces":
        generator, info = load_generator(folder)
        return cls(generator, QuizDomain(**info.get("domain", {})))

    @torch.inference_mode()
    def render(self, seeds: list[int]) -> np.ndarray:
        z = torch.stack([torch.randn(self.generator.config.z_dim, generator=cpu_generator(s)) for s in seeds])
        faces = self.domain(self.generator(z.to(self.device)))[:, 0]
        return ((faces + 1) / 2).clamp(0, 1).cpu().numpy()

    def build_pool(self, candidates: int = 512, first_seed: int = 0, batch: int = 128) -> FakePool:
        """Render `candidates` seeds and keep those that are not near-copies of any real photo."""
        reals = real_faces()
        threshold = near_copy_threshold(reals)
        seeds, distances = [], []
        for start in range(first_seed, first_seed + candidates, batch):
            batch_seeds = list(range(start, min(start + batch, first_seed + candidates)))
            nearest = pairwise_rms(_flat(self.render(batch_seeds)), _flat(reals)).min(1).values.tolist()
            for seed, d in zip(batch_seeds, nearest):
                if d >= threshold:
                    seeds.append(seed)
                    distances.append(round(d, 4))
        return FakePool(seeds, distances, candidates - len(seeds), round(threshold, 4))
