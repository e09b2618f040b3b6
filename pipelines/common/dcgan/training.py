"""What every DCGAN training script here shares: one step, the EMA, batch-norm recalibration."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from pipelines.common.dcgan.model import Generator

Images = Callable[[torch.Tensor], torch.Tensor]


def identity(x: torch.Tensor) -> torch.Tensor:
    return x


def gan_step(
    generate: Images,
    discriminator: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    view: Images = identity,
) -> tuple[float, float]:
    """One DCGAN step; returns (discriminator loss, generator loss).

    `generate` maps z to images in the training images' domain; `view` is what the
    discriminator sees of any image (e.g. DiffAugment), applied to real and fake alike.
    Real labels are smoothed to 0.9, which steadies training; the generator's loss is the
    non-saturating one.
    """
    fake = generate(z)
    d_real, d_fake = discriminator(view(real)), discriminator(view(fake.detach()))
    loss_d = F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, 0.9)) + F.binary_cross_entropy_with_logits(
        d_fake, torch.zeros_like(d_fake)
    )
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()

    d_fake = discriminator(view(fake))
    loss_g = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for e, m in zip(ema.parameters(), model.parameters()):
        e.lerp_(m, 1.0 - decay)


@torch.no_grad()
def recalibrate_batchnorm(generator: Generator, seed: int, batches: int = 50, batch_size: int = 256) -> None:
    """Recompute the running statistics that the eval-mode generator uses, for its current weights."""
    gen = torch.Generator().manual_seed(seed)
    for module in generator.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # cumulative average over all batches
    generator.train()
    for _ in range(batches):
        generator(torch.randn(batch_size, generator.config.z_dim, generator=gen))
    generator.eval()


class LossLog:
    """Averages losses over `every` iterations and keeps one row per period (the training record)."""

    def __init__(self, every: int) -> None:
        self.every, self.rows, self._sums, self._n = every, [], [0.0, 0.0], 0

    def add(self, iteration: int, seconds: float, loss_d: float, loss_g: float, last: bool = False) -> dict | None:
        self._sums = [self._sums[0] + loss_d, self._sums[1] + loss_g]
        self._n += 1
        if iteration % self.every and not last:
            return None
        row = {"iteration": iteration, "seconds": round(seconds, 1), "loss_d": round(self._sums[0] / self._n, 4), "loss_g": round(self._sums[1] / self._n, 4)}
        self.rows.append(row)
        self._sums, self._n = [0.0, 0.0], 0
        return row
