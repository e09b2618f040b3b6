"""Family 5: a denoising diffusion model (Ho et al., 2020), sampled with DDIM (Song et al., 2020).

Training adds a random amount of Gaussian noise to a real image and teaches a small UNet
(diffusers' UNet2DModel) to undo it (here by predicting the clean image; see `prediction`);
sampling starts from pure noise and removes a little at a time. Images are padded from 28 to 32 pixels so the UNet can halve them twice.
The UNet is class-conditional with a "no class" label (classifier-free guidance's training
trick), so one model samples a chosen digit or any digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn.functional as F

from pipelines.common.validation import check_number
from pipelines.learn.base import Family, FamilyConfig, randn

PAD = 2  # 28 + 2 + 2 = 32
NO_CLASS = 10  # the label meaning "any class"


@dataclass(frozen=True)
class DiffusionConfig(FamilyConfig):
    steps: int = 1000  # training steps: about 8 CPU minutes, where the other families need under 2
    lr: float = 2e-3  # Adam's learning rate (high: the run is short)
    width: int = 16  # channels at full resolution; (w, 2w, 2w) over the 32, 16, 8 pixel levels
    train_timesteps: int = 1000  # noise levels of the forward process (DDPM's T)
    sample_steps: int = 20  # DDIM steps when sampling (fewer: faster, rougher)
    # What the UNet predicts: "sample" (the clean image x0), "epsilon" (the noise, DDPM's choice) or "v_prediction".
    # In a short CPU run x0 wins clearly: on MNIST, Fréchet 429 after 300 steps, where epsilon had 1168 after 800
    # (speckled grey backgrounds) and v 570 after 300.
    prediction: str = "sample"
    drop_label: float = 0.2  # share of training images shown as "no class"
    ema_decay: float = 0.99  # moving average of the weights that is shipped (0: none)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_number(self.sample_steps, "sampling steps", 1, self.train_timesteps, whole=True)
        check_number(self.drop_label, "label drop rate", 0.0, 1.0)
        if self.prediction not in ("epsilon", "sample", "v_prediction"):
            raise ValueError(f"prediction must be epsilon, sample or v_prediction, got {str(self.prediction)[:80]!r}")
        check_number(self.ema_decay, "EMA decay", 0.0, 0.9999)


class Diffusion(Family):
    key = "diffusion"
    Config = DiffusionConfig

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__(config)
        from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel  # heavy import, only when a model is built

        w = config.width
        self.unet = UNet2DModel(
            sample_size=32, in_channels=1, out_channels=1, block_out_channels=(w, 2 * w, 2 * w),
            down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3,
            layers_per_block=1, norm_num_groups=8, attention_head_dim=16,  # attention only in the 8×8 middle block
            num_class_embeds=NO_CLASS + 1,
        )
        self.noise = DDPMScheduler(num_train_timesteps=config.train_timesteps, beta_schedule="squaredcos_cap_v2",
                                   prediction_type=config.prediction)
        self.sampler = DDIMScheduler.from_config(self.noise.config)
        self._ema = None  # diffusers' EMAModel, created with the optimiser (training only)

    def optimizers(self) -> list[torch.optim.Optimizer]:
        if self.config.ema_decay:
            from diffusers.training_utils import EMAModel

            self._ema = EMAModel(self.unet.parameters(), decay=self.config.ema_decay)
        return [torch.optim.Adam(self.unet.parameters(), lr=self.config.lr)]

    def train_step(self, x, y, opts, rng) -> dict[str, float]:
        x = F.pad(x, (PAD,) * 4, value=-1.0)
        noise = randn(tuple(x.shape), rng)
        t = torch.randint(0, self.config.train_timesteps, (len(x),), generator=rng)
        labels = torch.where(torch.rand(len(x), generator=rng) < self.config.drop_label, NO_CLASS, y)
        predicted = self.unet(self.noise.add_noise(x, noise, t), t, class_labels=labels).sample
        target = {"epsilon": noise, "sample": x}.get(self.config.prediction)
        loss = F.mse_loss(predicted, self.noise.get_velocity(x, noise, t) if target is None else target)
        opts[0].zero_grad()
        loss.backward()
        opts[0].step()
        if self._ema is not None:
            self._ema.step(self.unet.parameters())
        return {"loss": loss.item()}

    def finish_training(self, train_x: torch.Tensor) -> None:
        if self._ema is not None:
            self._ema.copy_to(self.unet.parameters())  # ship the averaged weights

    @torch.no_grad()
    def denoise(
        self,
        n: int,
        rng: torch.Generator,
        labels: torch.Tensor | None = None,
        steps: int | None = None,
        on_step: Optional[Callable[[int, torch.Tensor, torch.Tensor], None]] = None,
    ) -> torch.Tensor:
        """DDIM from pure noise. `on_step(t, x_t, x0_guess)` sees every step (28×28 crops)."""
        labels = torch.full((n,), NO_CLASS) if labels is None else labels
        self.sampler.set_timesteps(steps or self.config.sample_steps)
        x = randn((n, 1, 32, 32), rng)
        crop = lambda im: im[:, :, PAD:-PAD, PAD:-PAD].clamp(-1, 1)  # noqa: E731
        for t in self.sampler.timesteps:
            out = self.sampler.step(self.unet(x, t, class_labels=labels).sample, t, x)
            if on_step:
                on_step(int(t), crop(x), crop(out.pred_original_sample))
            x = out.prev_sample
        return crop(x)

    def sample(self, n, rng, labels=None) -> torch.Tensor:
        return self.denoise(n, rng, labels)
