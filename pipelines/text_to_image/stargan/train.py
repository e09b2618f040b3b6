"""Train the emoji StarGAN: the seven emoji styles as its domains, on the emoji corpus (make emoji-corpus).

    python -m pipelines.text_to_image.stargan.train --iterations 20000 --seed 0 [--state PATH [--resume]]
    python -m pipelines.text_to_image.stargan.train --warm-start data/stargan/state.pt --lambda-content 10 …

Each step the critic learns on a batch of real tiles (their own style) and of the generator's translations to
random other styles: Wasserstein loss with a gradient penalty, plus classifying the real tiles' style; every
--n-critic steps the generator learns to fool it, to be classified as the target style, and to give the
picture back when translated to its own style again (cycle L1) — StarGAN's objective, its weights (λ_cls 1,
λ_rec 10, λ_gp 10) and Adam (1e-4, β 0.5/0.999). A tenth of the concepts (every tenth by code) is held out
for measuring restyles of emoji the model never saw (bench/image_to_image.py). Writes the generator in float16
with its config and record (the critic is kept only in the training state). Reproducible from --seed on CPU.

One addition to the paper's objective, --lambda-content (0 in the paper): an L1 between the input and its
translation seen from afar (both averaged to 8 × 8), so a restyled emoji keeps its layout and colours. The emoji
styles differ in outline, shading and detail, not in where things are; without it the generator kept the cycle
(it can always give the picture back) but drew something else in between (bench/image_to_image.py: the nearest
drawing of the target style was the same emoji in 0 % of restyles). --warm-start continues from another run's
weights (a training state) with fresh optimisers and this run's settings.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.training import (LossLog, add_state_options, due, parse_config, recipe, seed_everything, state_saver,
                                       training_record)
from pipelines.text_to_image import emoji_corpus
from pipelines.text_to_image.stargan.model import StarGAN, StarGANConfig

DEFAULT_OUT = Path("assets/text_to_image/emoji_stargan")
HOLD_OUT_EVERY = 10  # every tenth concept (in the corpus's order, by code) is never trained on


@dataclass(frozen=True)
class TrainConfig(StarGANConfig):
    iterations: int = 20000  # critic steps (the generator learns every n_critic of them)
    batch_size: int = 16
    lr: float = 1e-4  # Adam, for both networks (the paper's, with its linear decay over the last half)
    n_critic: int = 5
    lambda_cls: float = 1.0
    lambda_rec: float = 10.0
    lambda_gp: float = 10.0
    lambda_content: float = 0.0  # L1 between input and output at 8 × 8 (not in the paper; see the module's doc)
    seed: int = 0  # seeds the weights, the batches and the target styles
    threads: int = 2  # torch threads
    log_every: int = 100
    save_every: int = 500  # steps between saved training states (with --state) and exported generators

    def model_config(self) -> StarGANConfig:
        return StarGANConfig(**{f.name: getattr(self, f.name) for f in fields(StarGANConfig)})


def held_out_concepts(count: int) -> set[int]:
    return set(range(0, count, HOLD_OUT_EVERY))


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """WGAN-GP: the critic's gradient norm pushed to 1 on points between real and fake pictures."""
    mix = torch.rand((real.shape[0], 1, 1, 1), generator=generator)
    between = (mix * real + (1 - mix) * fake).requires_grad_(True)
    score = critic(between)[0]
    grad = torch.autograd.grad(score.sum(), between, create_graph=True)[0]
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


class StarGANTrainer:
    """The model, both optimisers, the batch generator and the history: state_dict() is all a resumed run needs."""

    def __init__(self, config: TrainConfig, images: torch.Tensor, styles: torch.Tensor) -> None:
        self.config, self.images, self.styles = config, images, styles
        self.model = StarGAN(config.model_config())
        betas = (0.5, 0.999)
        self.g_opt = torch.optim.Adam(self.model.generator.parameters(), config.lr, betas=betas)
        self.d_opt = torch.optim.Adam(self.model.discriminator.parameters(), config.lr, betas=betas)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.log, self.step, self.seconds, self.last_g = LossLog(config.log_every), 0, 0.0, 0.0
        self.warm_start = ""  # what this run's weights started from, for the record (empty: from scratch)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        index = torch.randint(len(self.images), (self.config.batch_size,), generator=self.generator)
        own = self.styles[index]
        target = (own + torch.randint(1, self.config.domains, own.shape, generator=self.generator)) % self.config.domains
        return self.images[index].float() / 127.5 - 1, own, target

    def train_step(self) -> dict[str, float]:
        c, g, d = self.config, self.model.generator, self.model.discriminator
        real, own, target = self.batch()
        fake = g(real, target)
        real_score, real_style = d(real)
        d_loss = (d(fake.detach())[0].mean() - real_score.mean() + c.lambda_cls * F.cross_entropy(real_style, own)
                  + c.lambda_gp * gradient_penalty(d, real, fake.detach(), self.generator))
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        if (self.step + 1) % c.n_critic == 0:
            fake_score, fake_style = d(fake)
            g_loss = (-fake_score.mean() + c.lambda_cls * F.cross_entropy(fake_style, target)
                      + c.lambda_rec * (g(fake, own) - real).abs().mean()
                      + c.lambda_content * (F.avg_pool2d(fake, 8) - F.avg_pool2d(real, 8)).abs().mean())
            self.g_opt.zero_grad(set_to_none=True)
            g_loss.backward()
            self.g_opt.step()
            self.last_g = g_loss.item()
        self.step += 1
        return {"d": d_loss.item(), "g": self.last_g}  # the generator's latest (it learns every n_critic steps)

    def decay(self) -> None:
        """The paper's schedule: constant, then linearly to 0 over the second half."""
        half = self.config.iterations // 2
        scale = 1.0 if self.step <= half else max(0.0, (self.config.iterations - self.step) / max(half, 1))
        for optimizer in (self.g_opt, self.d_opt):
            for group in optimizer.param_groups:
                group["lr"] = self.config.lr * scale

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "g_opt": self.g_opt.state_dict(), "d_opt": self.d_opt.state_dict(),
                "generator": self.generator.get_state(), "rng": torch.get_rng_state(), "log": self.log.state_dict(),
                "step": self.step, "seconds": self.seconds, "warm_start": self.warm_start}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.g_opt.load_state_dict(state["g_opt"]), self.d_opt.load_state_dict(state["d_opt"])
        self.generator.set_state(state["generator"]), torch.set_rng_state(state["rng"])
        self.log.load_state_dict(state["log"])
        self.step, self.seconds, self.warm_start = state["step"], state["seconds"], state.get("warm_start", "")


def training_tiles(corpus: emoji_corpus.Corpus) -> tuple[torch.Tensor, torch.Tensor]:
    """The corpus's tiles [N, 3, 64, 64] (uint8) and styles, without the held-out concepts."""
    keep = ~np.isin(corpus.concept, list(held_out_concepts(len(corpus.concepts))))
    return torch.from_numpy(corpus.images[keep]).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(corpus.style[keep].astype(np.int64))


def export(trainer: StarGANTrainer, out: Path) -> Path:
    record = training_record(trainer.config, trainer.seconds, trainer.log.rows, dataset="emoji corpus (make emoji-corpus): "
                             "seven styles as domains, every tenth concept held out", iterations=trainer.step,
                             **({"warm_start": trainer.warm_start} if trainer.warm_start else {}))
    return save_checkpoint(out, trainer.model.generator, trainer.config.model_config(), record, half=True,
                           weights="generator.safetensors", info={"name": "emoji-stargan"})


def main(argv: list[str] | None = None) -> Path:
    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--corpus", type=Path, default=None, help="the emoji corpus (default: the data folder's)")
        parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"checkpoint folder (default: {DEFAULT_OUT})")
        add_state_options(parser)
        parser.add_argument("--warm-start", type=Path, default=None,
                            help="a training state whose weights this run starts from (fresh optimisers, step 0)")

    config, args = parse_config(TrainConfig, argv, __doc__, extra)
    seed_everything(config.seed, config.threads)
    trainer = StarGANTrainer(config, *training_tiles(emoji_corpus.load(args.corpus)))
    if args.warm_start and not args.resume:
        started = torch.load(args.warm_start, weights_only=False)
        trainer.model.load_state_dict(started["model"])
        trainer.warm_start = f"{args.warm_start} at step {started['step']} ({started['recipe']})"
    save = state_saver(trainer, args.state, recipe(config), args.resume)
    start = time.perf_counter() - trainer.seconds
    while trainer.step < config.iterations:
        trainer.decay()
        losses = trainer.train_step()
        trainer.seconds = time.perf_counter() - start
        row = trainer.log.add(trainer.step, trainer.seconds, losses, last=trainer.step == config.iterations)
        if row:
            print(row, flush=True)
        if due(trainer.step, config.save_every, config.iterations):
            if save:
                save()
            export(trainer, args.out)
    return export(trainer, args.out)


if __name__ == "__main__":
    main()
