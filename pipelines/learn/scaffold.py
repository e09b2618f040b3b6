"""The one training loop, shared by `python -m pipelines.learn.train` and the tab's live training.

A `Trainer` owns a model, its optimisers, a seeded batch order (pipelines.common.training's
BatchOrder) and the loss log. `run()` trains until the config's step count, a time cap, or a stop
request, and can be called again to continue (the live feature calls it in slices of a few
seconds, drawing samples in between).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch

from pipelines.common.training import BatchOrder
from pipelines.learn.base import Family, FamilyConfig


@dataclass
class LossRow:
    step: int
    seconds: float  # CPU seconds of this training thread so far
    loss: float


@dataclass
class Trainer:
    model: Family
    train_x: torch.Tensor  # (N, 1, 28, 28) in [-1, 1]
    train_y: torch.Tensor
    seed: int
    log_every: int = 10  # steps between loss-log rows
    step: int = 0
    cpu_seconds: float = 0.0  # this thread's CPU time inside run(): the honest cost on a shared machine
    wall_seconds: float = 0.0
    log: list[LossRow] = field(default_factory=list)
    last_losses: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        torch.manual_seed(self.seed)  # the model's initial weights were drawn already; this fixes what follows
        self.rng = torch.Generator().manual_seed(self.seed)  # noise the family draws while training
        self.order = BatchOrder(len(self.train_x), self.config.batch_size, seed=self.seed + 1)
        self.optimizers = self.model.optimizers()
        self._running_loss: list[float] = []

    @property
    def config(self) -> FamilyConfig:
        return self.model.config

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self.order()
        return self.train_x[idx], self.train_y[idx]

    def run(
        self,
        max_seconds: Optional[float] = None,
        should_stop: Optional[Callable[[], bool]] = None,
        on_log: Optional[Callable[[LossRow], None]] = None,
        until_step: Optional[int] = None,
    ) -> "Trainer":
        """Train until step `until_step` (default: the config's steps), `max_seconds` of wall time
        have passed, or `should_stop()` is true."""
        until_step = self.config.steps if until_step is None else until_step
        self.model.train()
        start_wall, start_cpu = time.monotonic(), time.thread_time()
        try:
            while self.step < until_step:
                if max_seconds is not None and time.monotonic() - start_wall >= max_seconds:
                    break
                if should_stop and should_stop():
                    break
                x, y = self._batch()
                self.last_losses = self.model.train_step(x, y, self.optimizers, self.rng)
                self.step += 1
                self._running_loss.append(self.last_losses["loss"])
                if self.step % self.log_every == 0 or self.step == until_step:
                    row = LossRow(self.step, round(self.cpu_seconds + time.thread_time() - start_cpu, 2),
                                  sum(self._running_loss) / len(self._running_loss))
                    self._running_loss = []
                    self.log.append(row)
                    if on_log:
                        on_log(row)
        finally:
            self.cpu_seconds += time.thread_time() - start_cpu
            self.wall_seconds += time.monotonic() - start_wall
            self.model.eval()
        return self

    def finish(self) -> Family:
        """End of training: the family's last touch (latent prior, averaged weights)."""
        self.model.finish_training(self.train_x)
        return self.model.eval()

    @torch.no_grad()
    def preview(self, n: int, seed: int = 0) -> torch.Tensor:
        """Samples from the model as it is now (fixed seed: successive grids show it learning)."""
        self.model.before_preview(self.train_x)
        return self.model.sample(n, torch.Generator().manual_seed(seed))
