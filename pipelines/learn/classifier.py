"""The measuring stick: a small CNN classifier trained on each dataset's real training images.

It is not a generator; it is trained by the same loop (`--family classifier`) and shipped like
one. metrics.py uses its confidence, its predicted classes, and its 64 penultimate features (the
space where the Fréchet distance is taken: FID's method with a domain classifier).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from pipelines.learn.base import Family, FamilyConfig
from pipelines.learn.nets import conv_encoder


@dataclass(frozen=True)
class ClassifierConfig(FamilyConfig):
    steps: int = 1500  # ~24 passes over the MNIST training images
    lr: float = 2e-3  # Adam's learning rate
    width: int = 32  # channels of the first convolution
    features: int = 64  # size of the feature vector the Fréchet distance is measured in


class Classifier(Family):
    key = "classifier"
    Config = ClassifierConfig

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__(config)
        self.body = nn.Sequential(conv_encoder(config.features, config.width), nn.ReLU())
        self.head = nn.Linear(config.features, 10)

    def train_step(self, x, y, opts, rng) -> dict[str, float]:
        # small random shifts: the classifier must also judge slightly off-centre samples
        dx, dy = torch.randint(-2, 3, (2,), generator=rng).tolist()
        loss = F.cross_entropy(self.head(self.body(torch.roll(x, (dy, dx), (2, 3)))), y)
        opts[0].zero_grad()
        loss.backward()
        opts[0].step()
        return {"loss": loss.item()}

    @torch.no_grad()
    def features_and_probs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = torch.cat([self.body(chunk) for chunk in x.split(500)])
        return feats, self.head(feats).softmax(1)
