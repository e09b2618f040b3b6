"""Family 1: the per-pixel probability model.

Each of the 784 pixels gets its own histogram of grey levels, counted over the training set,
and a sample draws every pixel independently from its own histogram. It knows that the middle of
a digit is often dark, but not that neighbouring pixels go together: its samples are speckled
clouds, the failure that motivates every model below.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from pipelines.common.validation import check_number
from pipelines.learn.base import Family, FamilyConfig


@dataclass(frozen=True)
class PixelConfig(FamilyConfig):
    steps: int = 100  # batches counted (63 cover the 4,000 MNIST training images once)
    levels: int = 16  # grey levels per pixel histogram (256 would need far more data per bin)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_number(self.levels, "grey levels", 2, 256, whole=True)


class PixelModel(Family):
    key = "pixel"
    Config = PixelConfig
    half_precision = False  # counts reach thousands: float16 would round them

    def __init__(self, config: PixelConfig) -> None:
        super().__init__(config)
        # Laplace smoothing: every level starts with one count, so no probability is ever 0.
        self.register_buffer("counts", torch.ones(784, config.levels))

    def optimizers(self) -> list:
        return []  # counting needs no gradient (the learning rate is ignored)

    def _bins(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.flatten(1) + 1) / 2 * (self.config.levels - 1)).round().long()

    def train_step(self, x, y, opts, rng) -> dict[str, float]:
        bins = self._bins(x)  # (N, 784)
        probs = self.counts / self.counts.sum(1, keepdim=True)
        # bits per pixel of this batch under the histograms so far: it falls as counts accumulate
        nll = -probs.log2().gather(1, bins.T).mean()
        self.counts += F.one_hot(bins, self.config.levels).sum(0)
        return {"loss": nll.item()}

    @torch.no_grad()
    def sample(self, n, rng, labels=None) -> torch.Tensor:
        probs = self.counts / self.counts.sum(1, keepdim=True)
        levels = torch.multinomial(probs, n, replacement=True, generator=rng).T  # (n, 784)
        return (levels.float() / (self.config.levels - 1) * 2 - 1).reshape(n, 1, 28, 28)
