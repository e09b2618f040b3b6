"""Write a diffusers SD pipeline as one original-layout (LDM) `.safetensors` file, for the tests of
loading by single file: the layout `StableDiffusionPipeline.from_single_file` reads (what
civitai-style checkpoints use). The key mapping is the inverse of diffusers' own converters, which
the test then exercises by loading the file back.
"""

from __future__ import annotations

import re
from pathlib import Path

RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1", "norm2": "out_layers.0",
          "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}
VAE_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _unet_key(key: str, layers: int, up_has_attention: list[bool]) -> str:
    fixed = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
             "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2"}
    for old, new in fixed.items():
        if key.startswith(old + "."):
            return new + key[len(old):]

    def resnet_inner(rest: str) -> str:
        name, _, tail = rest.partition(".")
        return f"{RESNET.get(name, name)}.{tail}"

    if m := re.match(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.*)", key):
        i, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
        block = f"input_blocks.{1 + i * (layers + 1) + j}"
        return f"{block}.0.{resnet_inner(rest)}" if kind == "resnets" else f"{block}.1.{rest}"
    if m := re.match(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.*)", key):
        return f"input_blocks.{1 + int(m[1]) * (layers + 1) + layers}.0.op.{m[2]}"
    if m := re.match(r"mid_block\.resnets\.(\d+)\.(.*)", key):
        return f"middle_block.{0 if m[1] == '0' else 2}.{resnet_inner(m[2])}"
    if m := re.match(r"mid_block\.attentions\.0\.(.*)", key):
        return f"middle_block.1.{m[1]}"
    if m := re.match(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.*)", key):
        i, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
        block = f"output_blocks.{i * (layers + 1) + j}"
        return f"{block}.0.{resnet_inner(rest)}" if kind == "resnets" else f"{block}.1.{rest}"
    if m := re.match(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.*)", key):
        i = int(m[1])
        return f"output_blocks.{i * (layers + 1) + layers}.{2 if up_has_attention[i] else 1}.conv.{m[2]}"
    raise KeyError(key)


def _vae_key(key: str, levels: int) -> str:
    key = key.replace("conv_norm_out", "norm_out").replace("conv_shortcut", "nin_shortcut")
    if m := re.match(r"(encoder|decoder)\.mid_block\.resnets\.(\d)\.(.*)", key):
        return f"{m[1]}.mid.block_{int(m[2]) + 1}.{m[3]}"
    if m := re.match(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.*?)\.(weight|bias)$", key):
        return f"{m[1]}.mid.attn_1.{VAE_ATTENTION[m[2]]}.{m[3]}"
    if m := re.match(r"encoder\.down_blocks\.(\d+)\.resnets\.(.*)", key):
        return f"encoder.down.{m[1]}.block.{m[2]}"
    if m := re.match(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.(.*)", key):
        return f"encoder.down.{m[1]}.downsample.{m[2]}"
    if m := re.match(r"decoder\.up_blocks\.(\d+)\.resnets\.(.*)", key):
        return f"decoder.up.{levels - 1 - int(m[1])}.block.{m[2]}"
    if m := re.match(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.(.*)", key):
        return f"decoder.up.{levels - 1 - int(m[1])}.upsample.{m[2]}"
    return key


def save_single_file(pipe, path: Path) -> Path:
    from safetensors.torch import save_file

    unet, vae = pipe.unet, pipe.vae
    up_has_attention = ["CrossAttn" in t for t in unet.config.up_block_types]
    state = {}
    for key, value in unet.state_dict().items():
        state["model.diffusion_model." + _unet_key(key, unet.config.layers_per_block, up_has_attention)] = value
    levels = len(vae.config.block_out_channels)
    for key, value in vae.state_dict().items():
        new = _vae_key(key, levels)
        if ".mid.attn_1." in new and value.ndim == 2:
            value = value[:, :, None, None]  # the original VAE's attention uses 1×1 convolutions
        state["first_stage_model." + new] = value
    for key, value in pipe.text_encoder.state_dict().items():
        # transformers 5 drops the `text_model.` level from CLIPTextModel's keys; the original layout has it
        state["cond_stage_model.transformer." + ("" if key.startswith("text_model.") else "text_model.") + key] = value
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return Path(path)
