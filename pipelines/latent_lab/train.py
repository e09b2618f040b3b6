"""Train a DCGAN on Fashion-MNIST.

    python -m pipelines.latent_lab.train --iterations 6000 --seed 0 [--state PATH [--resume]]

Reproducible from --seed (on CPU, with the same thread count). Writes a checkpoint
folder (generator.safetensors + config.json + training_record.json), by default the
Latent Lab's (GS_FASHION_GENERATOR). The generator saved is an exponential moving average of
the trained one, with its batch-norm statistics recomputed, which gives visibly cleaner samples.
With --state the training state is saved there every --save-every iterations and at the end;
--resume continues from it (and a run stopped at N and resumed equals a run straight through).
"""

from __future__ import annotations

import argparse

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.datasets import load_fashion_mnist
from pipelines.common.dcgan.model import WEIGHTS_FILE, DCGANConfig, Discriminator, Generator, init_weights
from pipelines.common.dcgan.training import GANTrainer
from pipelines.common.training import (BatchOrder, add_state_options, parse_config, recipe, seed_everything, state_saver,
                                       training_record)


@dataclass(frozen=True)
class FashionTrainConfig:
    iterations: int = 6000  # generator updates (one discriminator update each)
    batch_size: int = 128  # real images per step
    seed: int = 0  # seeds the weights, the noise and the batch order
    z_dim: int = 64  # latent size of the generator
    ngf: int = 64  # generator width
    ndf: int = 64  # discriminator width
    lr: float = 2e-4  # Adam's learning rate, both networks
    ema: float = 0.999  # decay of the generator's moving average (the weights saved)
    ema_start: int = 201  # first iteration that averages; until then the average copies the generator
    threads: int = 1  # torch threads (part of what makes a run reproducible)
    log_every: int = 100  # iterations per row of the loss history
    save_every: int = 1000  # iterations between saved training states (with --state)
    limit_images: int = 0  # train on the first N images only (0: all 60,000; tests use a few)


INFO = {
    "name": "Fashion-MNIST DCGAN (trained here)",
    "description": "DCGAN trained in this project on Fashion-MNIST; exponential moving average of the generator.",
    "license": "weights: this project's; data: Fashion-MNIST, MIT (Zalando Research)",
    "training_data": "fashion-mnist",
}


def parse_args(argv: list[str] | None = None) -> tuple[FashionTrainConfig, argparse.Namespace]:
    def extra(p):
        p.add_argument("--out", type=Path, default=Path(get_settings().fashion_generator), help="checkpoint folder")
        add_state_options(p)

    return parse_config(FashionTrainConfig, argv, __doc__, extra)


def load_images(limit: int) -> torch.Tensor:
    """Fashion-MNIST's training images as (N, 1, 28, 28) floats in [-1, 1]."""
    images, _ = load_fashion_mnist("train")
    images = images[:limit] if limit else images
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)


def train(config: FashionTrainConfig, out: Path, state: Path | None = None, resume: bool = False) -> dict:
    seed_everything(config.seed, config.threads)
    data = load_images(config.limit_images)
    model_config = DCGANConfig(z_dim=config.z_dim, image_size=28, base_size=7, channels=1, ngf=config.ngf, ndf=config.ndf)
    generator, discriminator = Generator(model_config), Discriminator(model_config)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    trainer = GANTrainer(generator, discriminator, data, BatchOrder(len(data), config.batch_size, config.seed),
                         lr_g=config.lr, lr_d=config.lr, ema=config.ema, ema_start=config.ema_start,
                         log_every=config.log_every)
    trainer.run(config.iterations, config.save_every, state_saver(trainer, state, recipe(config), resume))

    record = training_record(config, trainer.seconds, trainer.log.rows, iterations=config.iterations, images=len(data),
                             dataset="Fashion-MNIST train split (Debian dataset-fashion-mnist), 28x28 grayscale")
    save_checkpoint(out, trainer.averaged_generator(config.seed), model_config, record, info=INFO, weights=WEIGHTS_FILE)
    return record


def main(argv: list[str] | None = None) -> dict:
    config, args = parse_args(argv)
    record = train(config, args.out, args.state, args.resume)
    print(f"trained {record['iterations']} iterations in {record['seconds']} s")
    return record


if __name__ == "__main__":
    main()
