"""Family 2: the autoencoder with a small (by default 2-D) latent code.

An encoder squeezes each image to `latent_dim` numbers and a decoder rebuilds it; the loss only
asks for good reconstructions. Nothing shapes where codes land, so to *sample* we fit a Gaussian
to the training codes afterwards and decode draws from it: points between the clusters decode
to smudges, which is why a plain autoencoder is a poor generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from pipelines.learn.base import Family, FamilyConfig, randn
from pipelines.learn.nets import conv_decoder, conv_encoder


@dataclass(frozen=True)
class AutoencoderConfig(FamilyConfig):
    steps: int = 1500  # ~24 passes over the MNIST training images
    lr: float = 2e-3  # Adam's learning rate
    latent_dim: int = 2  # 2 so the code space can be drawn as a map and clicked
    width: int = 32  # channels of the first convolution (the second has twice as many)


class Autoencoder(Family):
    key = "autoencoder"
    Config = AutoencoderConfig

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__(config)
        self.encoder = conv_encoder(self.code_size(), config.width)
        self.decoder = conv_decoder(config.latent_dim, config.width)
        # the Gaussian fitted to the training codes, used for sampling (finish_training)
        self.register_buffer("code_mean", torch.zeros(config.latent_dim))
        self.register_buffer("code_chol", torch.eye(config.latent_dim))

    def code_size(self) -> int:
        return self.config.latent_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code of each image (for the VAE: the mean of its posterior)."""
        return self.encoder(x)[:, : self.config.latent_dim]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes → images in [-1, 1] (pixels are Bernoulli probabilities, shown as grey)."""
        return torch.sigmoid(self.decoder(z)) * 2 - 1

    def reconstruction_loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        # Bernoulli likelihood of the grey levels, summed over pixels, averaged over images
        return F.binary_cross_entropy_with_logits(logits, (x + 1) / 2, reduction="sum") / len(x)

    def train_step(self, x, y, opts, rng) -> dict[str, float]:
        loss = self.reconstruction_loss(self.decoder(self.encode(x)), x)
        opts[0].zero_grad()
        loss.backward()
        opts[0].step()
        return {"loss": loss.item()}

    @torch.no_grad()
    def finish_training(self, train_x: torch.Tensor) -> None:
        codes = torch.cat([self.encode(chunk) for chunk in train_x[:5000].split(500)])
        cov = torch.cov(codes.T).reshape(self.config.latent_dim, self.config.latent_dim)
        self.code_mean.copy_(codes.mean(0))
        self.code_chol.copy_(torch.linalg.cholesky(cov + 1e-5 * torch.eye(self.config.latent_dim)))

    def before_preview(self, train_x: torch.Tensor) -> None:
        self.finish_training(train_x[:1000])  # mid-training samples need a prior too

    @torch.no_grad()
    def sample(self, n, rng, labels=None) -> torch.Tensor:
        z = self.code_mean + randn((n, self.config.latent_dim), rng) @ self.code_chol.T
        return self.decode(z)
