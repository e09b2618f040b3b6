"""Train a DCGAN on Fashion-MNIST.

    python -m pipelines.latent_lab.train --iterations 6000 --seed 0

Reproducible from --seed (on CPU, with the same thread count). Writes a checkpoint
folder (generator.safetensors + config.json) and training_record.json beside it.
The generator saved is an exponential moving average of the trained one, with its
batch-norm statistics recomputed, which gives visibly cleaner samples.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from pipelines.common.config import ASSETS_DIR
from pipelines.common.datasets import load_fashion_mnist
from pipelines.common.dcgan.training import LossLog, gan_step, recalibrate_batchnorm, update_ema
from pipelines.common.dcgan.model import DCGANConfig, Discriminator, Generator, init_weights, save_generator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ASSETS_DIR / "latent" / "fashion_dcgan"), help="checkpoint folder")
    p.add_argument("--iterations", type=int, default=6000)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--z-dim", type=int, default=64)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--ndf", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--ema", type=float, default=0.999, help="decay of the generator's moving average")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--limit-images", type=int, default=0, help="train on the first N images only (tests)")
    return p.parse_args(argv)


def train(args: argparse.Namespace) -> dict:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    images, _ = load_fashion_mnist("train")
    if args.limit_images:
        images = images[: args.limit_images]
    # uint8 → [-1, 1], (N, 1, 28, 28)
    data = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)

    config = DCGANConfig(z_dim=args.z_dim, image_size=28, base_size=7, channels=1, ngf=args.ngf, ndf=args.ndf)
    generator, discriminator = Generator(config), Discriminator(config)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    ema = copy.deepcopy(generator).requires_grad_(False)
    opt_g = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    data_gen = torch.Generator().manual_seed(args.seed)

    log = LossLog(args.log_every)
    start = time.time()
    order = torch.randperm(len(data), generator=data_gen)
    cursor = 0
    for it in range(1, args.iterations + 1):
        if cursor + args.batch_size > len(order):
            order, cursor = torch.randperm(len(data), generator=data_gen), 0
        real = data[order[cursor : cursor + args.batch_size]]
        cursor += args.batch_size
        z = torch.randn(len(real), config.z_dim)
        loss_d, loss_g = gan_step(generator, discriminator, opt_g, opt_d, real, z)
        update_ema(ema, generator, args.ema if it > 200 else 0.0)
        row = log.add(it, time.time() - start, loss_d, loss_g, last=it == args.iterations)
        if row:
            print(json.dumps(row), flush=True)

    recalibrate_batchnorm(ema, seed=args.seed)
    record = {
        "dataset": "Fashion-MNIST train split (Debian dataset-fashion-mnist), 28x28 grayscale",
        "images": len(data),
        "iterations": args.iterations,
        "seconds": round(time.time() - start, 1),
        "args": vars(args),
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, {args.threads} thread(s)",
        "history": log.rows,
    }
    info = {
        "name": "Fashion-MNIST DCGAN (trained here)",
        "description": "DCGAN trained in this project on Fashion-MNIST; exponential moving average of the generator.",
        "license": "weights: this project's; data: Fashion-MNIST, MIT (Zalando Research)",
        "training_data": "fashion-mnist",
        "training": {k: record[k] for k in ("dataset", "iterations", "seconds", "args", "torch")},
    }
    out = save_generator(args.out, ema, info)
    (out / "training_record.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    record = train(parse_args(argv))
    print(f"trained {record['iterations']} iterations in {record['seconds']} s")


if __name__ == "__main__":
    main()
