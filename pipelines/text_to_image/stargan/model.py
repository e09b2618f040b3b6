"""StarGAN (Choi et al. 2018, "StarGAN: Unified Generative Adversarial Networks for Multi-Domain Image-to-Image
Translation"), sized for a CPU: one generator moves a 64 × 64 emoji into any of the seven styles.

The generator reads the picture with the target style broadcast as extra channels, goes down twice, through
residual blocks at 16 × 16, and up again (instance norm throughout, tanh out). The discriminator is a PatchGAN
with two heads: real-or-fake per patch (the Wasserstein critic) and which style the picture is in. Training
(train.py): WGAN-GP, style classification, cycle reconstruction — the paper's three losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from pipelines.common.emoji_diffusion.styles import STYLES


@dataclass(frozen=True)
class StarGANConfig:
    image_size: int = 64  # the emoji corpus's tiles
    domains: int = len(STYLES)  # one per emoji style, in STYLES order
    g_channels: int = 32  # the generator's first width; doubled at each of its two downsamplings (the paper: 64)
    g_blocks: int = 4  # residual blocks at the bottleneck (the paper: 6)
    d_channels: int = 32  # the discriminator's first width, doubled at each stride-2 layer (the paper: 64)
    d_layers: int = 5  # stride-2 layers: 64 px → 2 × 2 patches (the paper: 6 at 128 px)


def norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=False), norm(channels), nn.ReLU(inplace=True),
                                  nn.Conv2d(channels, channels, 3, 1, 1, bias=False), norm(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Generator(nn.Module):
    def __init__(self, config: StarGANConfig) -> None:
        super().__init__()
        self.config = config
        c = config.g_channels
        layers = [nn.Conv2d(3 + config.domains, c, 7, 1, 3, bias=False), norm(c), nn.ReLU(inplace=True)]
        for _ in range(2):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), norm(2 * c), nn.ReLU(inplace=True)]
            c *= 2
        layers += [ResidualBlock(c) for _ in range(config.g_blocks)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), norm(c // 2), nn.ReLU(inplace=True)]
            c //= 2
        layers += [nn.Conv2d(c, 3, 7, 1, 3, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor, styles: torch.Tensor) -> torch.Tensor:
        """`images` [b, 3, H, W] in [-1, 1], `styles` [b] target style indices → the images in those styles."""
        one_hot = nn.functional.one_hot(styles, self.config.domains).float()
        planes = one_hot[:, :, None, None].expand(-1, -1, *images.shape[-2:])
        return self.net(torch.cat([images, planes], 1))


class Discriminator(nn.Module):
    def __init__(self, config: StarGANConfig) -> None:
        super().__init__()
        c, layers = config.d_channels, []
        for i in range(config.d_layers):
            layers += [nn.Conv2d(3 if i == 0 else c // 2, c, 4, 2, 1), nn.LeakyReLU(0.01)]
            c *= 2
        self.trunk = nn.Sequential(*layers)
        c //= 2
        self.real = nn.Conv2d(c, 1, 3, 1, 1, bias=False)  # a Wasserstein score per patch
        self.style = nn.Conv2d(c, config.domains, config.image_size >> config.d_layers, bias=False)  # style logits

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(images)
        return self.real(h), self.style(h).flatten(1)


class StarGAN(nn.Module):
    """Both networks in one module, so one training state holds them; the shipped checkpoint keeps the generator."""

    def __init__(self, config: StarGANConfig) -> None:
        super().__init__()
        self.config = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)

    def forward(self, images: torch.Tensor, styles: torch.Tensor) -> torch.Tensor:
        return self.generator(images, styles)
