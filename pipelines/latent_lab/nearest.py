""""Is it copying?": the training images nearest to a generated one.

Distances are root-mean-square pixel differences on a 0–1 scale. For context each
answer is set against unseen real images (the test split): their median distance to
their own nearest training image, and the share of them nearer than the sample is. The
verdict follows that share, so it never contradicts the numbers beside it: a sample
nearer a training image than almost every real image (under NEAR_COPY of them) may be
a copy; one nearer than most is close but within their range; the rest are not copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch
from PIL import Image

from pipelines.common.images import pairwise_rms, pil_to_array
from pipelines.common.loading import cached_loader
from pipelines.common.datasets import CLASS_NAMES, load_fashion_mnist
from pipelines.common.validation import Notice

MAX_K = 16
HELD_OUT = 500  # unseen real images measured for comparison (the median moves < 0.002 beyond this)
NEAR_COPY = 0.02  # fewer than this share of unseen real images are as near a training image: maybe a copy
# The answer in words, English beside Korean: the numbers, then the verdict they give.
SUMMARY = ("Nearest training image: distance **{distance:.3f}** (root-mean-square pixel difference; 0 = identical). "
           "Unseen real images are typically **{typical:.3f}** from theirs, and **{closer} %** of them are nearer "
           "than this sample. {verdict}",
           "가장 가까운 학습 이미지까지의 거리 **{distance:.3f}** (픽셀 차이의 제곱평균제곱근, 0 = 똑같음). 처음 보는 실제 "
           "이미지는 보통 자기와 가장 가까운 학습 이미지에서 **{typical:.3f}** 떨어져 있고, 그중 {closer} %가 이 샘플보다 "
           "더 가깝습니다. {verdict}")
VERDICTS = {
    "copy": Notice("copy.copy", "Almost no real image comes this close: this sample may be a **near copy** of that training image.",
                   "이만큼 가까운 실제 이미지는 거의 없습니다. 이 샘플은 그 학습 이미지를 **거의 베낀 것**일 수 있습니다."),
    "close": Notice("copy.close", "It is nearer a training image than most real images are, but within their range: **not a copy**.",
                    "대부분의 실제 이미지보다 학습 이미지에 가깝지만, 실제 이미지들의 범위 안에 있습니다. **베낀 것이 아닙니다**."),
    "far": Notice("copy.far", "It is at least as far from the training images as a typical real image: **not a copy**.",
                  "보통의 실제 이미지만큼, 또는 그보다 더 학습 이미지와 떨어져 있습니다. **베낀 것이 아닙니다**."),
}


@dataclass
class NearestResult:
    images: list[Image.Image]  # the nearest training images, closest first
    distances: list[float]  # RMS pixel distance of each, 0–1 scale
    labels: list[str]  # each one's class and index in the training set
    typical_distance: float  # median nearest distance of unseen real images, for comparison
    closer_share: float  # the share (0–1) of unseen real images nearer their nearest training image than this one is
    verdict: str  # a key of VERDICTS: "copy" (closer_share < NEAR_COPY), "close" (< one half) or "far"

    @property
    def summary(self) -> Notice:
        """The answer as a sentence, in English and Korean: the numbers, then the verdict they give."""
        numbers = dict(distance=self.distances[0], typical=self.typical_distance, closer=self.closer_percent)
        verdict = VERDICTS[self.verdict]
        return Notice("copy.summary", SUMMARY[0].format(**numbers, verdict=verdict), SUMMARY[1], **numbers, verdict=verdict)

    @property
    def closer_percent(self) -> int:
        """closer_share in whole percent, rounded down (49.8 % reads "49 %", as its verdict "nearer than most" says)."""
        return math.floor(100 * self.closer_share)


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
    def held_out_distances(self) -> np.ndarray:
        """Each unseen real image's distance to its nearest training image, ascending."""
        queries = torch.from_numpy(self.held_out[:HELD_OUT].reshape(-1, self.size * self.size).astype(np.float32) / 255.0)
        return np.sort(self._search(queries, 1)[0][:, 0].numpy())

    @property
    def typical_distance(self) -> float:
        """The (lower) median: a sample nearer than this has closer_share under one half, one at or beyond it not."""
        return float(self.held_out_distances[(len(self.held_out_distances) - 1) // 2])

    def closer_share(self, distance: float) -> float:
        """The share of unseen real images strictly nearer their nearest training image than `distance`."""
        return float(np.searchsorted(self.held_out_distances, distance, side="left") / len(self.held_out_distances))

    def query(self, image: Any, k: Any = 5) -> NearestResult:
        if not isinstance(image, (Image.Image, np.ndarray)):
            raise ValueError(f"expected an image, got {type(image).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise ValueError(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
        query = torch.from_numpy(pil_to_array(image, self.size, grayscale=True).reshape(1, -1))
        found, idx = self._search(query, k)
        idx = idx[0].tolist()
        distances = [round(float(d), 4) for d in found[0]]
        closer = self.closer_share(float(found[0, 0]))
        return NearestResult(
            images=[Image.fromarray(self.train_u8[i], mode="L") for i in idx],
            distances=distances,
            labels=[f"{CLASS_NAMES[self.labels[i]]} #{i}" for i in idx],
            typical_distance=round(self.typical_distance, 4),
            closer_share=round(closer, 4),
            verdict="copy" if closer < NEAR_COPY else "close" if closer < 0.5 else "far",
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
