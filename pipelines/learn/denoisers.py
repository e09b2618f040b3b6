"""What the "Watch denoising" viewer can show: a diffusion model and how it draws one picture, step by step.

A denoiser has `frames(request) -> list[DenoiseFrame]`: at each step the picture so far (x_t) and the model's
current guess of the finished picture (x̂_0). The registry of names is `pipelines.learn.pipeline.DENOISERS`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from pipelines.common.images import tensor_to_pil
from pipelines.common.seeding import cpu_generator
from pipelines.learn.base import Family

ANY_LABEL = -1  # "any class" for a class-conditional denoiser


@dataclass
class DenoiseFrame:
    timestep: int  # the noise level t (T-1 = pure noise … 0 = clean)
    noisy: Image.Image  # x_t
    guess: Image.Image  # the model's current estimate of the clean image x̂_0


class FamilyDenoiser:
    """A digit or clothes diffusion model of this tab: it draws a class (`request.label`) or any."""

    takes_prompt = False

    def __init__(self, model: Family) -> None:
        self.model = model

    def frames(self, request: Any) -> list[DenoiseFrame]:
        out: list[DenoiseFrame] = []
        labels = None if request.label == ANY_LABEL else torch.tensor([request.label])

        def keep(t: int, noisy: torch.Tensor, guess: torch.Tensor) -> None:
            out.append(DenoiseFrame(t, *tensor_to_pil(torch.cat([noisy, guess]))))

        self.model.denoise(1, cpu_generator(request.seed), labels, request.steps, on_step=keep)
        return out


class PromptDenoiser:
    """The Text → Image tab's embedded model (a latent diffusion model): it draws `request.prompt`. Its x_t and
    x̂_0 live in the VAE's latent space; both are decoded by its VAE to be seen."""

    takes_prompt = True

    def __init__(self, pipe: Any) -> None:  # an EmojiDiffusionPipeline (pipelines.common.emoji_diffusion)
        self.pipe = pipe
        self.lock = threading.Lock()  # one pipeline object: its scheduler's timesteps are set per request

    @torch.no_grad()
    def frames(self, request: Any) -> list[DenoiseFrame]:
        out: list[DenoiseFrame] = []

        def keep(pipe, i, t, kwargs) -> None:
            noisy, guess = tensor_to_pil(pipe.decode_latents(torch.cat([kwargs["x_t"], kwargs["x0"]])))
            out.append(DenoiseFrame(int(t), noisy, guess))

        # With a layout prior the first x_t is its guess noised part way and only `strength` of the schedule runs:
        # a schedule that long makes the steps asked for the steps seen (one frame each).
        with self.lock:
            self.pipe(request.prompt, num_inference_steps=math.ceil(request.steps / self.pipe.default_strength),
                      generator=cpu_generator(request.seed), callback_on_step_end=keep)
        return out
