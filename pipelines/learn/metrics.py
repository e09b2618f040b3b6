"""Measuring samples against a dataset's real images.

- quality: the share of samples the measuring classifier is at least 90% sure about, and the
  Fréchet distance between samples and real test images in its 64-feature space (FID's method,
  Heusel et al. 2017, with a small domain classifier in place of Inception);
- diversity: the entropy of the predicted classes (1 = all ten equally often, 0 = one class) and
  recall (Kynkäänniemi et al. 2019: the share of real images that lie within the k-nearest-
  neighbour radius of some sample, in feature space);
- copying: the median pixel RMS distance from each sample to its nearest training image, beside
  the same figure for real test images (samples much closer than that are near-copies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from pipelines.common.images import pairwise_rms
from pipelines.learn.classifier import Classifier
from pipelines.learn.data import Split

CONFIDENT = 0.9  # classifier probability counted as "clearly a digit/garment of some class"
NEIGHBOURS = 3  # k of the k-NN radii in precision/recall (the paper's default)
REFERENCE = 750  # real test images the sample sets are compared with (fixed: the first of the test set)


@dataclass(frozen=True)
class Measures:
    confident: float  # share of samples classified with probability ≥ CONFIDENT
    frechet: float  # Fréchet distance to the test images in classifier-feature space (lower: closer)
    class_entropy: float  # entropy of the predicted classes / log(10), 0–1
    recall: float  # share of real test images covered by the samples' k-NN balls
    nearest_train: float  # median RMS distance (0–2 scale of [-1, 1] pixels) of a sample to its nearest training image
    test_nearest_train: float  # the same for real test images: the "not copying" reference


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """|μa − μb|² + Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½), in float64 (symmetric square roots by eigh)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)

    def sqrtm(m: np.ndarray) -> np.ndarray:
        w, v = np.linalg.eigh((m + m.T) / 2)
        return (v * np.sqrt(w.clip(min=0))) @ v.T

    root_a = sqrtm(cov_a)
    cross = np.trace(sqrtm(root_a @ cov_b @ root_a))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def _covered(points: torch.Tensor, centres: torch.Tensor) -> float:
    """Share of `points` inside some centre's ball whose radius is that centre's k-th neighbour distance."""
    radii = torch.cdist(centres, centres).kthvalue(NEIGHBOURS + 1, dim=1).values  # +1: itself at 0
    return float((torch.cdist(points, centres) <= radii).any(1).float().mean())


class Judge:
    """Measures sample sets for one dataset; real-image figures are computed once."""

    def __init__(self, classifier: Classifier, split: Split) -> None:
        self.classifier = classifier.eval()
        self.split = split
        self.train_flat = split.train_x.flatten(1)
        self.train_sq = self.train_flat.pow(2).sum(1)

    @cached_property
    def reference(self) -> torch.Tensor:
        return self.classifier.features_and_probs(self.split.test_x[:REFERENCE])[0]

    @cached_property
    def real_measures(self) -> "Measures":
        """Held-out real images measured like samples (the floor of each figure at this sample size)."""
        return self.measure(self.split.test_x[REFERENCE : REFERENCE + 250])

    @cached_property
    def test_nearest_train(self) -> float:
        return self.nearest_train(self.split.test_x[:500])

    def nearest_train(self, images: torch.Tensor) -> float:
        distances = torch.cat([pairwise_rms(chunk.flatten(1), self.train_flat, self.train_sq).min(1).values for chunk in images.split(250)])
        return float(distances.median())

    @torch.no_grad()
    def measure(self, samples: torch.Tensor) -> Measures:
        feats, probs = self.classifier.features_and_probs(samples)
        counts = probs.argmax(1).bincount(minlength=10).float()
        p = counts[counts > 0] / len(samples)
        real = self.reference[: len(samples)]  # equal set sizes: precision/recall are biased otherwise
        return Measures(
            confident=float((probs.max(1).values >= CONFIDENT).float().mean()),
            frechet=frechet_distance(feats.double().numpy(), self.reference.double().numpy()),
            class_entropy=float(-(p * p.log()).sum() / math.log(10)),
            recall=_covered(real, feats),
            nearest_train=self.nearest_train(samples),
            test_nearest_train=self.test_nearest_train,
        )
