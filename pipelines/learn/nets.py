"""The small convolutional networks several families share (28×28 ↔ a vector)."""

from __future__ import annotations

from torch import nn


def conv_encoder(out_dim: int, width: int = 32, batchnorm: bool = False) -> nn.Sequential:
    """(N, 1, 28, 28) → (N, out_dim): two stride-2 convolutions (28 → 14 → 7), then a linear map.
    Used by the autoencoder, the VAE, the DCGAN's critic and the measuring classifier."""
    norm = nn.BatchNorm2d(2 * width) if batchnorm else nn.Identity()
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1), norm, nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * width * 49, out_dim),
    )


def conv_decoder(in_dim: int, width: int = 32, batchnorm: bool = False) -> nn.Sequential:
    """(N, in_dim) → (N, 1, 28, 28), unbounded: the mirror of conv_encoder. Callers squash the
    output (sigmoid for the autoencoders' Bernoulli pixels, tanh for the DCGAN)."""
    norm = (lambda c: nn.BatchNorm2d(c)) if batchnorm else (lambda c: nn.Identity())
    return nn.Sequential(
        nn.Linear(in_dim, 2 * width * 49), nn.Unflatten(1, (2 * width, 7, 7)), norm(2 * width), nn.ReLU(),
        nn.ConvTranspose2d(2 * width, width, 4, 2, 1), norm(width), nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, 2, 1),
    )
