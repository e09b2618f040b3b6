"""What every family shares: its config's training fields, the model interface, checkpoints.

A family is an nn.Module with a frozen config dataclass (the one source of its defaults), a
`train_step` the shared loop in scaffold.py calls once per batch, and a `sample` method. A
checkpoint is a folder: `model.safetensors` (float16 where quality allows) and `config.json`
(family, dataset, the config's fields, and a "training" record written by train.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from pipelines.common.validation import check_number

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
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

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FamilyConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


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


def save_checkpoint(folder: str | Path, model: Family, dataset: str, training: dict[str, Any]) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if not k.startswith(model.train_only)}
    if model.half_precision:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    info = {"family": model.key, "dataset": dataset, "config": asdict(model.config), "training": training}
    (folder / CONFIG_FILE).write_text(json.dumps(info, indent=2) + "\n")
    return folder


def load_checkpoint(folder: str | Path, families: dict[str, type[Family]]) -> tuple[Family, dict[str, Any]]:
    folder = Path(folder)
    if not (folder / CONFIG_FILE).is_file() or not (folder / WEIGHTS_FILE).is_file():
        raise FileNotFoundError(f"no learn checkpoint in {str(folder)!r}: run `make train-learn`")
    info = json.loads((folder / CONFIG_FILE).read_text())
    cls = families[info["family"]]
    model = cls(cls.Config.from_dict(info["config"]))
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(cls.train_only) for k in missing):
        raise ValueError(f"checkpoint {str(folder)!r} does not fit {cls.__name__}: {missing[:3]} {unexpected[:3]}")
    return model.eval().requires_grad_(False), info
