"""The DCGAN training loop both GAN scripts share (Latent Lab's Fashion-MNIST, the face quiz's LFW):
one step, the EMA generator that is saved, resumable state, batch-norm recalibration."""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

from pipelines.common.dcgan.model import Discriminator, Generator
from pipelines.common.training import BatchOrder, LossLog, averaged_copy, due, make_ema

Images = Callable[[torch.Tensor], torch.Tensor]
ADAM_BETAS = (0.5, 0.999)  # beta1 = 0.5: the DCGAN paper's fix for oscillation with Adam's default 0.9


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


class GANTrainer:
    """Trains `generator` against `discriminator` on `real` images, one batch of `batches()` a step.

    z is drawn from torch's global RNG (seed it first: `seed_everything`). Both networks use Adam with
    the DCGAN paper's betas; the generator's moving average (EMA, from iteration `ema_start` on) is
    what gets saved. `state_dict()` holds everything `run` needs to continue exactly where it stopped.
    """

    def __init__(self, generator: Generator, discriminator: Discriminator, real: torch.Tensor, batches: BatchOrder, *,
                 lr_g: float, lr_d: float, ema: float, ema_start: int = 1, log_every: int = 100,
                 generate: Optional[Images] = None, view: Images = identity) -> None:
        self.generator, self.discriminator, self.real, self.batches = generator, discriminator, real, batches
        self.generate, self.view = generate or generator, view
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=ADAM_BETAS)
        self.opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=ADAM_BETAS)
        self.ema = make_ema(generator, ema, start=ema_start)
        self.log = LossLog(log_every)
        self.step, self.seconds = 0, 0.0

    def run(self, iterations: int, save_every: int = 0, on_save: Optional[Callable[[], None]] = None) -> "GANTrainer":
        """Train up to iteration `iterations`, printing each log row; `on_save()` every `save_every` and at the end."""
        start = time.time() - self.seconds
        while self.step < iterations:
            real = self.real[self.batches()]
            z = torch.randn(len(real), self.generator.config.z_dim)
            loss_d, loss_g = gan_step(self.generate, self.discriminator, self.opt_g, self.opt_d, real, z, self.view)
            self.ema.step(self.generator.parameters())
            self.step += 1
            self.seconds = time.time() - start
            row = self.log.add(self.step, self.seconds, {"loss_d": loss_d, "loss_g": loss_g}, last=self.step == iterations)
            if row:
                print(json.dumps(row), flush=True)
            if on_save and due(self.step, save_every, iterations):
                on_save()
        return self

    def averaged_generator(self, seed: int, batches: int = 50, batch_size: int = 256) -> Generator:
        """The EMA weights in a generator of their own, batch-norm statistics recomputed for them."""
        averaged = averaged_copy(self.generator, self.ema)
        recalibrate_batchnorm(averaged, seed, batches, batch_size)
        return averaged.requires_grad_(False)

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "ema": self.ema.state_dict(),
                "log": self.log.state_dict(), "batches": self.batches.state_dict(), "step": self.step,
                "seconds": self.seconds, "torch_rng": torch.get_rng_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.load_state_dict(state["generator"]), self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"]), self.opt_d.load_state_dict(state["opt_d"])
        self.ema.load_state_dict(state["ema"]), self.log.load_state_dict(state["log"])
        self.batches.load_state_dict(state["batches"])
        self.step, self.seconds = state["step"], state["seconds"]
        torch.set_rng_state(state["torch_rng"])
