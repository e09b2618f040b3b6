"""Family 4: generative adversarial networks (Goodfellow et al., 2014).

A generator turns noise into images and a critic (discriminator) learns to tell them from real
ones; each improves against the other. Two generators share the same game here: the vanilla GAN
of the original paper (fully connected layers) and a DCGAN (Radford et al., 2015: convolutions
with batch normalisation), which learns shapes much faster because it knows pixels have neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from pipelines.learn.base import Family, FamilyConfig, randn
from pipelines.learn.nets import conv_decoder, conv_encoder


@dataclass(frozen=True)
class GANConfig(FamilyConfig):
    steps: int = 3000  # generator updates (one critic update each)
    lr: float = 2e-4  # Adam's learning rate for both networks (the DCGAN paper's)
    latent_dim: int = 32  # length of the noise vector z
    hidden: int = 256  # width of the vanilla GAN's hidden layers


class GAN(Family):
    key = "gan"
    Config = GANConfig
    train_only = ("critic.",)  # only the generator is shipped

    def __init__(self, config: GANConfig) -> None:
        super().__init__(config)
        self.generator, self.critic = self.build(config)

    def build(self, config: GANConfig) -> tuple[nn.Module, nn.Module]:
        h = config.hidden
        generator = nn.Sequential(
            nn.Linear(config.latent_dim, h), nn.LeakyReLU(0.2), nn.Linear(h, h), nn.LeakyReLU(0.2),
            nn.Linear(h, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)),
        )
        critic = nn.Sequential(nn.Flatten(), nn.Linear(784, h), nn.LeakyReLU(0.2), nn.Linear(h, h), nn.LeakyReLU(0.2), nn.Linear(h, 1))
        return generator, critic

    def optimizers(self) -> list[torch.optim.Optimizer]:
        # beta1 = 0.5: the DCGAN paper's fix for oscillation with Adam's default 0.9
        adam = lambda module: torch.optim.Adam(module.parameters(), lr=self.config.lr, betas=(0.5, 0.999))  # noqa: E731
        return [adam(self.generator), adam(self.critic)]

    def train_step(self, x, y, opts, rng) -> dict[str, float]:
        opt_g, opt_d = opts
        fake = self.generator(randn((len(x), self.config.latent_dim), rng))
        real_logits, fake_logits = self.critic(x).flatten(), self.critic(fake.detach()).flatten()
        loss_d = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + F.binary_cross_entropy_with_logits(
            fake_logits, torch.zeros_like(fake_logits)
        )
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # the non-saturating generator loss: maximise log D(G(z)) (strong gradients early on)
        logits = self.critic(fake).flatten()
        loss_g = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        return {"loss": loss_g.item(), "critic": loss_d.item()}

    @torch.no_grad()
    def sample(self, n, rng, labels=None) -> torch.Tensor:
        was_training = self.training
        self.eval()  # batch-norm statistics, not this batch's
        images = self.generator(randn((n, self.config.latent_dim), rng))
        self.train(was_training)
        return images


@dataclass(frozen=True)
class DCGANConfig(GANConfig):
    steps: int = 1500  # generator updates (one critic update each)
    width: int = 32  # channels of the critic's first convolution and the generator's last


class DCGAN(GAN):
    key = "dcgan"
    Config = DCGANConfig

    def build(self, config: DCGANConfig) -> tuple[nn.Module, nn.Module]:
        generator = nn.Sequential(conv_decoder(config.latent_dim, config.width, batchnorm=True), nn.Tanh())
        return generator, conv_encoder(1, config.width, batchnorm=True)
