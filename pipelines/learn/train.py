"""Train one family (or the measuring classifier) on one dataset and write its checkpoint.

    python -m pipelines.learn.train --family dcgan --dataset mnist --seed 0
    python -m pipelines.learn.train --family vae --dataset fashion-mnist --steps 3 --out /tmp/vae
    python -m pipelines.learn.train --family diffusion --help      # that family's options and defaults

Every field of the family's config dataclass is an option, with the dataclass's default. One torch
thread by default (small models run fastest that way on a busy machine). The checkpoint's
config.json carries the training record: command, seed, steps, CPU seconds, final loss, and a
thinned loss curve; the classifier's also carries its test accuracy.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch

from pipelines.common.training import parse_config, seed_everything
from pipelines.learn.base import Family, FamilyConfig, save_family
from pipelines.learn.data import DATASETS, load_split
from pipelines.learn.families import TRAINABLE, checkpoint_dir
from pipelines.learn.scaffold import Trainer


def parse_args(argv: list[str]) -> tuple[FamilyConfig, argparse.Namespace]:
    """(the family's config, every option): --family picks which config's fields are options."""
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--family", choices=list(TRAINABLE))
    family = first.parse_known_args(argv)[0].family
    config_class = TRAINABLE[family].Config if family else FamilyConfig

    def extra(p: argparse.ArgumentParser) -> None:
        p.add_argument("--family", required=True, choices=list(TRAINABLE))
        p.add_argument("--dataset", required=True, choices=list(DATASETS))
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--out", type=Path, help="checkpoint folder (default: GS_LEARN_MODELS/DATASET/FAMILY)")

    return parse_config(config_class, argv, __doc__, extra)


@torch.no_grad()
def test_accuracy(model, split) -> float:
    _, probs = model.features_and_probs(split.test_x)
    return float((probs.argmax(1) == split.test_y).float().mean())


def train(config: FamilyConfig, args: argparse.Namespace, argv: list[str]) -> dict:
    seed_everything(args.seed, args.threads)  # the initial weights
    cls: type[Family] = TRAINABLE[args.family]
    split = load_split(args.dataset)
    trainer = Trainer(cls(config), split.train_x, split.train_y, seed=args.seed, log_every=max(1, config.steps // 50))
    trainer.run(on_log=lambda row: print(json.dumps(row.__dict__), flush=True))
    start = time.thread_time()
    model = trainer.finish()
    training = {
        "command": "python -m pipelines.learn.train " + shlex.join(argv),
        "seed": args.seed,
        "steps": trainer.step,
        "cpu_seconds": round(trainer.cpu_seconds + time.thread_time() - start, 1),
        "wall_seconds": round(trainer.wall_seconds, 1),
        "threads": args.threads,
        "final_loss": round(trainer.log[-1].loss, 4),
        "torch": torch.__version__,
        "loss_curve": [[r.step, r.seconds, round(r.loss, 4)] for r in trainer.log],
    }
    if args.family == "classifier":
        training["test_accuracy"] = round(test_accuracy(model, split), 4)
    save_family(args.out or checkpoint_dir(args.family, args.dataset), model, args.dataset, training)
    return training


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    config, args = parse_args(argv)
    training = train(config, args, argv)
    extra = f", test accuracy {training['test_accuracy']:.3f}" if "test_accuracy" in training else ""
    print(f"trained {training['steps']} steps in {training['cpu_seconds']} CPU s, final loss {training['final_loss']}{extra}")
    return training


if __name__ == "__main__":
    main()
