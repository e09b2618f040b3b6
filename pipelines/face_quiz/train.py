"""Adapt the DigiFace DCGAN to the quiz's real photos (LFW crops, 25×25 grayscale).

    python -m pipelines.face_quiz.train --iterations 2000 --seed 0 [--state PATH [--resume]]

Fine-tunes the pretrained generator (GS_FACE_GENERATOR) through QuizDomain (crop, grayscale,
downsample) against a new discriminator that sees real and generated faces through DiffAugment —
the technique made for training sets of ~100 images. Only the 64 training photos are used
(pipelines.face_quiz.data); the 36 held-out ones are for the quiz alone. Reproducible from --seed on
CPU. Writes the quiz's checkpoint (GS_QUIZ_GENERATOR: float16 generator + config.json with the domain
+ training_record.json, including the near-copy check of the faces the quiz can show). --state and
--resume as in every GAN script (pipelines.common.dcgan.training.GANTrainer).
"""

from __future__ import annotations

import argparse

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.dcgan.model import WEIGHTS_FILE, DCGANConfig, Discriminator, init_weights, load_generator
from pipelines.common.dcgan.training import GANTrainer
from pipelines.common.training import (BatchOrder, add_state_options, parse_config, recipe, seed_everything, state_saver,
                                       training_record)
from pipelines.face_quiz.augment import diff_augment
from pipelines.face_quiz.data import N_TRAIN, SPLIT_SEED, train_faces
from pipelines.face_quiz.domain import QuizDomain
from pipelines.face_quiz.fakes import FakeFaces

D_SIZE = 32  # the discriminator sees 25×25 faces resized to 32×32 (real and fake alike)
DOMAIN = QuizDomain()  # how the quiz sees the generator's faces; saved with the checkpoint


@dataclass(frozen=True)
class QuizTrainConfig:
    iterations: int = 2000  # generator updates (one discriminator update each)
    batch_size: int = 32  # real faces per step, drawn with replacement from the 64
    seed: int = 0  # seeds the discriminator, the noise, the augmentations and the batches
    lr_g: float = 1e-4  # Adam's learning rate for the (pretrained) generator
    lr_d: float = 2e-4  # Adam's learning rate for the new discriminator
    ndf: int = 32  # discriminator width
    ema: float = 0.995  # decay of the generator's moving average (the weights saved), from the first step
    threads: int = 1  # torch threads (part of what makes a run reproducible)
    log_every: int = 50  # iterations per row of the loss history
    save_every: int = 500  # iterations between saved training states (with --state)
    pool: int = 512  # candidate fakes checked for near-copies at the end


INFO = {
    "name": "DigiFace DCGAN adapted to LFW crops (trained here)",
    "description": "The DigiFace DCGAN fine-tuned with DiffAugment on 64 LFW crops, seen through `domain`.",
    "license": "MIT (base weights: gan-face-generate, Chien Liu); fine-tuned on LFW crops shipped in scikit-image",
    "training_data": "lfw-train-split",
    "domain": DOMAIN.to_dict(),
}


def parse_args(argv: list[str] | None = None) -> tuple[QuizTrainConfig, argparse.Namespace]:
    def extra(p):
        settings = get_settings()
        p.add_argument("--out", type=Path, default=Path(settings.quiz_generator), help="checkpoint folder")
        p.add_argument("--init", type=Path, default=Path(settings.face_generator), help="pretrained generator folder")
        add_state_options(p)

    return parse_config(QuizTrainConfig, argv, __doc__, extra)


def to_discriminator(x: torch.Tensor) -> torch.Tensor:
    return diff_augment(F.interpolate(x, size=D_SIZE, mode="bilinear", align_corners=False))


def near_copy_check(fakes: FakeFaces, candidates: int) -> dict:
    pool = fakes.build_pool(candidates)
    nearest = sorted(pool.nearest_real)
    return {"candidates": candidates, "rejected": pool.rejected, "threshold": pool.threshold,
            "nearest_real_min": min(pool.nearest_real, default=None),
            "nearest_real_median": nearest[len(nearest) // 2] if nearest else None}


def train(config: QuizTrainConfig, out: Path, init: Path, state: Path | None = None, resume: bool = False) -> dict:
    seed_everything(config.seed, config.threads)
    real = torch.from_numpy(train_faces() * 2 - 1).unsqueeze(1)  # (64, 1, 25, 25) in [-1, 1]
    generator, _ = load_generator(init)
    generator.train().requires_grad_(True)
    discriminator = Discriminator(DCGANConfig(image_size=D_SIZE, base_size=4, channels=1, ndf=config.ndf))
    discriminator.apply(init_weights)
    trainer = GANTrainer(generator, discriminator, real, BatchOrder(len(real), config.batch_size, config.seed, replacement=True),
                         lr_g=config.lr_g, lr_d=config.lr_d, ema=config.ema, log_every=config.log_every,
                         generate=lambda z: DOMAIN(generator(z)), view=to_discriminator)
    trainer.run(config.iterations, config.save_every, state_saver(trainer, state, recipe(config), resume))

    averaged = trainer.averaged_generator(config.seed, batches=20, batch_size=128)  # 64×64 RGB: fewer images suffice
    record = training_record(
        config, trainer.seconds, trainer.log.rows, iterations=config.iterations, init=str(init),
        dataset=f"LFW crops from scikit-image lfw_subset(): {N_TRAIN} training faces (split seed {SPLIT_SEED})",
        near_copy_check=near_copy_check(FakeFaces(averaged, DOMAIN), config.pool),
    )
    save_checkpoint(out, averaged, averaged.config, record, info=INFO, half=True, weights=WEIGHTS_FILE)
    return record


def main(argv: list[str] | None = None) -> dict:
    config, args = parse_args(argv)
    record = train(config, args.out, args.init, args.state, args.resume)
    print(f"trained {record['iterations']} iterations in {record['seconds']} s; near-copies: {record['near_copy_check']}")
    return record


if __name__ == "__main__":
    main()
