""""Is it copying?": the training images nearest to a generated one.

Distances are root-mean-square pixel differences on a 0–1 scale. For context each
answer carries the typical distance from an unseen real image (the test split) to
its nearest training image: a sample much closer than that (under SUSPICIOUS of it) is
suspiciously near a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch
from PIL import Image

from pipelines.common.images import pairwise_rms, pil_to_array
from pipelines.common.loading import cached_loader
from pipelines.common.datasets import CLASS_NAMES, load_fashion_mnist

MAX_K = 16
SUSPICIOUS = 0.5  # a nearest distance under this fraction of the typical one is suspiciously close to a copy


@dataclass
class NearestResult:
    images: list[Image.Image]  # the nearest training images, closest first
    distances: list[float]  # RMS pixel distance of each, 0–1 scale
    labels: list[str]  # each one's class and index in the training set
    typical_distance: float  # median nearest distance of unseen real images, for comparison
    suspicious: bool  # the nearest is much closer than unseen real images are to theirs: maybe a copy


class NearestTrainingImages:
    def __init__(self, train: np.ndarray, labels: np.ndarray, held_out: np.ndarray) -> None:
        self.train_u8 = train
        self.labels = labels
        self.held_out = held_out
        self.size = train.shape[1]
        flat = torch.from_numpy(train.reshape(len(train), -1).astype(np.float32) / 255.0)
        self.train = flat
        self.train_sq = flat.pow(2).sum(1)

    def _search(self, queries: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        return pairwise_rms(queries, self.train, self.train_sq).topk(k, dim=1, largest=False)

    @cached_property
    def typical_distance(self) -> float:
        queries = torch.from_numpy(self.held_out[:500].reshape(-1, self.size * self.size).astype(np.float32) / 255.0)
        return float(self._search(queries, 1)[0].median())

    def query(self, image: Any, k: Any = 5) -> NearestResult:
        if not isinstance(image, (Image.Image, np.ndarray)):
            raise ValueError(f"expected an image, got {type(image).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise ValueError(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
        query = torch.from_numpy(pil_to_array(image, self.size, grayscale=True).reshape(1, -1))
        found, idx = self._search(query, k)
        idx = idx[0].tolist()
        distances, typical = [round(float(d), 4) for d in found[0]], round(self.typical_distance, 4)
        return NearestResult(
            images=[Image.fromarray(self.train_u8[i], mode="L") for i in idx],
            distances=distances,
            labels=[f"{CLASS_NAMES[self.labels[i]]} #{i}" for i in idx],
            typical_distance=typical,
            suspicious=distances[0] <= SUSPICIOUS * typical,
        )


@cached_loader
def get_nearest(training_data: str) -> NearestTrainingImages:
    """The index over a generator's training data; only Fashion-MNIST's is on hand."""
    if training_data != "fashion-mnist":
        raise ValueError(
            f"the training images of this generator ({training_data or 'not published'}) are not available, "
            "so there is nothing to compare with: pick the Fashion-MNIST generator"
        )
    train, labels = load_fashion_mnist("train")
    held_out, _ = load_fashion_mnist("test")
    return NearestTrainingImages(train, labels, held_out)
