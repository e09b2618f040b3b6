"""Stable Diffusion pipelines with random weights, built in code: for tests and benchmarks.

`tiny_sd_pipeline()` has diffusers' own test sizes (a few MB, a step in milliseconds) but SD's real
tokenizer (clip_vocab), so prompts tokenize exactly as they would on a real model.
`sd_turbo_unet()`/`sd_turbo_vae()` have SD-Turbo's real shapes (865 M + 84 M parameters) for timing
what a CPU Space can do. No weights are downloaded: none exist offline.
"""

from __future__ import annotations

import torch


def tiny_sd_pipeline(seed: int = 0, sample_size: int = 32, safety_checker: bool = False):
    """A StableDiffusionPipeline whose images are 2 × sample_size pixels a side."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from tests.clip_vocab import clip_tokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=sample_size, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, norm_num_groups=2, attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[4, 8], in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=2,
        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
        sample_size=2 * sample_size,
    )
    tokenizer = clip_tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, layer_norm_eps=1e-5,
        vocab_size=len(tokenizer), max_position_embeddings=77, projection_dim=32,
    ))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    checker, extractor = (None, None)
    if safety_checker:
        checker, extractor = tiny_safety_checker()
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=checker, feature_extractor=extractor,
                                   requires_safety_checker=False)
    return pipe.to(torch.float32)


def tiny_safety_checker(flag_everything: bool = True):
    """SD's safety checker with tiny random CLIP vision weights; thresholds at -1 so it flags every image
    (`flag_everything`) — a test that the filter is applied, not a judge of content."""
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    config = CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
                           image_size=32, patch_size=8),
        projection_dim=32,
    )
    checker = StableDiffusionSafetyChecker(config).eval()
    if flag_everything:
        with torch.no_grad():
            checker.concept_embeds_weights.fill_(-1.0)
            checker.special_care_embeds_weights.fill_(-1.0)
    extractor = CLIPImageProcessor(crop_size=32, size=32)
    return checker, extractor


def sd_turbo_unet():
    """SD-Turbo's UNet shape (SD 2.1: 865 M parameters), random weights."""
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=64, cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20), use_linear_projection=True,
        block_out_channels=(320, 640, 1280, 1280),
    ).eval()


def sd_turbo_vae():
    """SD's VAE shape (84 M parameters), random weights."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[128, 256, 512, 512], latent_channels=4,
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
    ).eval()
