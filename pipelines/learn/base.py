"""What every family shares: its config's training fields, the model interface, checkpoints.

A family is an nn.Module with a frozen config dataclass (the one source of its defaults), a
`train_step` the shared loop in scaffold.py calls once per batch, and a `sample` method. A
checkpoint is a folder (pipelines.common.checkpoint): `model.safetensors` (float16 where quality
allows), `config.json` (family, dataset, the config's fields under "config", and the "training"
record written by train.py) and training_record.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from pipelines.common.checkpoint import load_checkpoint, read_info, save_checkpoint
from pipelines.common.korean import korean_names
from pipelines.common.validation import check_number

CONFIG_KEY = "config"  # where config.json keeps the family's config (the shipped files' layout)
korean_names({"steps": "단계 수", "batch size": "배치 크기", "learning rate": "학습률", "latent size": "코드 크기"})
MAX_STEPS = 100_000  # training steps any config accepts (the live feature caps far lower)


@dataclass(frozen=True)
class FamilyConfig:
    steps: int = 1000  # optimisation steps (batches) that train.py runs by default
    batch_size: int = 64  # images per step
    lr: float = 1e-3  # Adam's learning rate
    latent_dim: int = 2  # size of the code a sample is made from (families without one ignore it)

    def __post_init__(self) -> None:
        # Validated once here, so the CLI, the live feature and checkpoints share one set of rules.
        check_number(self.steps, "steps", 1, MAX_STEPS, whole=True)
        check_number(self.batch_size, "batch size", 2, 1024, whole=True)
        check_number(self.lr, "learning rate", 1e-6, 0.1)
        check_number(self.latent_dim, "latent size", 1, 256, whole=True)


class Family(nn.Module):
    """Base class: subclasses set `key`, `Config`, build their networks, and implement the methods."""

    key: ClassVar[str]
    Config: ClassVar[type[FamilyConfig]] = FamilyConfig
    half_precision: ClassVar[bool] = True  # store float16 weights (pixel histograms: float32, see there)
    train_only: ClassVar[tuple[str, ...]] = ()  # state-dict prefixes not shipped (a GAN's critic)

    def __init__(self, config: FamilyConfig) -> None:
        super().__init__()
        self.config = config

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.parameters(), lr=self.config.lr)]

    def train_step(self, x: torch.Tensor, y: torch.Tensor, opts: list, rng: torch.Generator) -> dict[str, float]:
        """One batch of learning; returns named losses ("loss" is the one plotted)."""
        raise NotImplementedError

    def finish_training(self, train_x: torch.Tensor) -> None:
        """Called once training stops (fit a latent prior, copy averaged weights…)."""

    def before_preview(self, train_x: torch.Tensor) -> None:
        """Called before drawing samples mid-training (cheap: the live grid calls it every refresh)."""

    def sample(self, n: int, rng: torch.Generator, labels: torch.Tensor | None = None) -> torch.Tensor:
        """n new images (n, 1, 28, 28) in [-1, 1], drawn from `rng` alone (reproducible)."""
        raise NotImplementedError


def randn(shape: tuple[int, ...], rng: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=rng)


def save_family(folder: str | Path, model: Family, dataset: str, record: dict[str, Any]) -> Path:
    """The checkpoint folder (pipelines.common.checkpoint) of a trained family, without its train-only parts."""
    return save_checkpoint(folder, model, model.config, record, info={"family": model.key, "dataset": dataset},
                           half=model.half_precision, config_key=CONFIG_KEY, skip=model.train_only)


def load_family(folder: str | Path, families: dict[str, type[Family]]) -> tuple[Family, dict[str, Any]]:
    """(model in eval mode, its config.json), the class picked by the folder's "family"."""
    try:
        cls = families[read_info(folder)["family"]]
    except FileNotFoundError:
        raise FileNotFoundError(f"no learn checkpoint in {str(folder)!r}: run `make train-learn`") from None
    model, _, info = load_checkpoint(folder, cls, cls.Config, config_key=CONFIG_KEY, skip=cls.train_only,
                                     what="learn checkpoint (run `make train-learn`)")
    return model, info


