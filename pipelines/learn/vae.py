"""Family 3: the variational autoencoder (Kingma & Welling, 2013), 2-D latent by default.

The encoder outputs a small Gaussian per image instead of a point, the decoder must rebuild the
image from a draw of it, and a KL term pulls every Gaussian towards N(0, I). The code space is
therefore filled without gaps, and sampling is simply decoding z ~ N(0, I).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pipelines.learn.autoencoder import Autoencoder, AutoencoderConfig
from pipelines.learn.base import randn


@dataclass(frozen=True)
class VAEConfig(AutoencoderConfig):
    beta: float = 1.0  # weight of the KL term (1 = the true evidence lower bound)


class VAE(Autoencoder):
    key = "vae"
    Config = VAEConfig

    def code_size(self) -> int:
        return 2 * self.config.latent_dim  # mean and log-variance

    def train_step(self, x, y, opts, rng) -> dict[str, float]:
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        z = mean + (0.5 * logvar).exp() * randn(tuple(mean.shape), rng)
        recon = self.reconstruction_loss(self.decoder(z), x)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        loss = recon + self.config.beta * kl
        opts[0].zero_grad()
        loss.backward()
        opts[0].step()
        return {"loss": loss.item(), "kl": kl.item()}

    def finish_training(self, train_x: torch.Tensor) -> None:
        pass  # the prior is N(0, I) by construction

    before_preview = finish_training

    @torch.no_grad()
    def sample(self, n, rng, labels=None) -> torch.Tensor:
        return self.decode(randn((n, self.config.latent_dim), rng))
