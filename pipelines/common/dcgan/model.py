"""A DCGAN (Radford et al., 2015) generator and discriminator, sized by one config.

The generator's layer layout (`main`, an nn.Sequential of ConvTranspose2d /
BatchNorm2d / ReLU) is the PyTorch tutorial's, so the DigiFace weights from the
`gan-face-generate` wheel load into it unchanged.

A checkpoint is a folder (pipelines.common.checkpoint): `generator.safetensors` (weights),
`config.json` (the DCGANConfig under "model", plus a name, a description, the licence and how
it was trained) and training_record.json, so `load_generator(folder)` rebuilds the model from
the folder alone. Saved with `save_checkpoint(folder, generator, generator.config, record,
info=..., weights=WEIGHTS_FILE)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pipelines.common.checkpoint import load_checkpoint

WEIGHTS_FILE = "generator.safetensors"


@dataclass
class DCGANConfig:
    z_dim: int = 100  # length of the latent vector z ~ N(0, I)
    image_size: int = 64  # output side in pixels: base_size * 2**k
    base_size: int = 4  # side of the first feature map that z is projected to
    channels: int = 3  # 3 for RGB, 1 for grayscale
    ngf: int = 64  # generator width: channels of its last hidden layer (doubling towards z)
    ndf: int = 64  # discriminator width: channels of its first layer (doubling towards the logit)

    def __post_init__(self) -> None:
        ratio = self.image_size / self.base_size
        if ratio < 2 or not math.log2(ratio).is_integer():
            raise ValueError(
                f"image_size {self.image_size} must be base_size {self.base_size} times a power of two (>= 2)"
            )

    @property
    def n_upsamplings(self) -> int:
        return int(math.log2(self.image_size // self.base_size))


class Generator(nn.Module):
    """z (N, z_dim) → images (N, channels, image_size, image_size) in [-1, 1]."""

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        width = config.ngf * 2 ** (config.n_upsamplings - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(config.z_dim, width, config.base_size, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(config.n_upsamplings - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, config.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.reshape(z.shape[0], self.config.z_dim, 1, 1))

    def first_features(self, z: torch.Tensor) -> torch.Tensor:
        """Activations after the first block: the feature space GANSpace takes PCA of."""
        return self.main[:3](z.reshape(z.shape[0], self.config.z_dim, 1, 1)).flatten(1)


class Discriminator(nn.Module):
    """images → one real/fake logit each (no sigmoid: trained with BCE-with-logits)."""

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        width = config.ndf
        layers: list[nn.Module] = [nn.Conv2d(config.channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for _ in range(config.n_upsamplings - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2, True)]
            width *= 2
        layers += [nn.Conv2d(width, 1, config.base_size, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).flatten()


def init_weights(module: nn.Module) -> None:
    """The DCGAN paper's initialisation: N(0, 0.02) convolutions, N(1, 0.02) batch-norm scales."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def load_generator(folder: str | Path) -> tuple[Generator, dict[str, Any]]:
    """Rebuild a generator from a checkpoint folder; returns (model in eval mode, its config.json)."""
    generator, _, info = load_checkpoint(folder, Generator, DCGANConfig, weights=WEIGHTS_FILE, what="generator")
    return generator, info
