"""Adapt the DigiFace DCGAN to the quiz's real photos (LFW crops, 25×25 grayscale).

    python -m pipelines.face_quiz.train --iterations 2000 --seed 0

Fine-tunes the pretrained generator through QuizDomain (crop, grayscale, downsample) against a
new discriminator that sees real and generated faces through DiffAugment — the technique made
for training sets of ~100 images. Only the 64 training photos are used (pipelines.face_quiz.data);
the 36 held-out ones are for the quiz alone. Reproducible from --seed on CPU. Writes the checkpoint
(float16 generator + config.json with the domain) and training_record.json, including the
near-copy check of the faces the quiz can show.
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import torch
import torch.nn.functional as F

from pipelines.common.config import ASSETS_DIR
from pipelines.face_quiz.augment import diff_augment
from pipelines.face_quiz.data import N_TRAIN, SPLIT_SEED, train_faces
from pipelines.face_quiz.domain import QuizDomain
from pipelines.face_quiz.fakes import FakeFaces
from pipelines.common.dcgan.training import LossLog, gan_step, recalibrate_batchnorm, update_ema
from pipelines.common.dcgan.model import DCGANConfig, Discriminator, init_weights, load_generator, save_generator

D_SIZE = 32  # the discriminator sees 25×25 faces resized to 32×32 (real and fake alike)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ASSETS_DIR / "face_quiz" / "lfw_dcgan"))
    p.add_argument("--init", default=str(ASSETS_DIR / "latent" / "digiface_dcgan"), help="pretrained generator folder")
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr-g", type=float, default=1e-4)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--ema", type=float, default=0.995)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--pool", type=int, default=512, help="candidate fakes checked for near-copies at the end")
    return p.parse_args(argv)


def to_discriminator(x: torch.Tensor) -> torch.Tensor:
    return diff_augment(F.interpolate(x, size=D_SIZE, mode="bilinear", align_corners=False))


def train(args: argparse.Namespace) -> dict:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    real = torch.from_numpy(train_faces() * 2 - 1).unsqueeze(1)  # (64, 1, 25, 25) in [-1, 1]
    generator, _ = load_generator(args.init)
    generator.train().requires_grad_(True)
    domain = QuizDomain()
    discriminator = Discriminator(DCGANConfig(image_size=D_SIZE, base_size=4, channels=1, ndf=args.ndf))
    discriminator.apply(init_weights)
    ema = copy.deepcopy(generator).requires_grad_(False)
    opt_g = torch.optim.Adam(generator.parameters(), lr=args.lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=args.lr_d, betas=(0.5, 0.999))
    pick = torch.Generator().manual_seed(args.seed)

    log = LossLog(args.log_every)
    start = time.time()
    for it in range(1, args.iterations + 1):
        batch = real[torch.randint(len(real), (args.batch_size,), generator=pick)]
        z = torch.randn(args.batch_size, generator.config.z_dim)
        loss_d, loss_g = gan_step(lambda z: domain(generator(z)), discriminator, opt_g, opt_d, batch, z, view=to_discriminator)
        update_ema(ema, generator, args.ema)
        row = log.add(it, time.time() - start, loss_d, loss_g, last=it == args.iterations)
        if row:
            print(json.dumps(row), flush=True)

    recalibrate_batchnorm(ema, seed=args.seed, batches=20, batch_size=128)  # 64×64 RGB: fewer images suffice
    pool = FakeFaces(ema, domain).build_pool(args.pool)
    record = {
        "dataset": f"LFW crops from scikit-image lfw_subset(): {N_TRAIN} training faces (split seed {SPLIT_SEED})",
        "init": args.init,
        "iterations": args.iterations,
        "seconds": round(time.time() - start, 1),
        "args": vars(args),
        "torch": torch.__version__,
        "near_copy_check": {
            "candidates": args.pool,
            "rejected": pool.rejected,
            "threshold": pool.threshold,
            "nearest_real_min": min(pool.nearest_real, default=None),
            "nearest_real_median": sorted(pool.nearest_real)[len(pool.nearest_real) // 2] if pool.nearest_real else None,
        },
        "history": log.rows,
    }
    info = {
        "name": "DigiFace DCGAN adapted to LFW crops (trained here)",
        "description": "The DigiFace DCGAN fine-tuned with DiffAugment on 64 LFW crops, seen through `domain`.",
        "license": "MIT (base weights: gan-face-generate, Chien Liu); fine-tuned on LFW crops shipped in scikit-image",
        "training_data": "lfw-train-split",
        "domain": domain.to_dict(),
        "training": {k: record[k] for k in ("dataset", "init", "iterations", "seconds", "args", "torch", "near_copy_check")},
    }
    out = save_generator(args.out, ema, info, half=True)
    (out / "training_record.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    record = train(parse_args(argv))
    print(f"trained {record['iterations']} iterations in {record['seconds']} s; near-copies: {record['near_copy_check']}")


if __name__ == "__main__":
    main()
