"""A small GPT over music event tokens, after nanoGPT's model.py, with a KV cache for generation.

A checkpoint is a folder (pipelines.common.checkpoint): `model.safetensors` (float16, the tied lm_head
stored once, as wte), `config.json` (GPTConfig under "model", the vocabulary, the mood, how it was trained)
and `training_record.json`, so `load_model(folder)` rebuilds it from the folder alone.
gpt2.py converts it exactly to transformers' GPT2LMHeadModel (measured slower there: see its docstring).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import nn

from pipelines.common.checkpoint import WEIGHTS_FILE, load_checkpoint, read_info, save_checkpoint
from pipelines.text_to_music.tokens import VOCAB

__all__ = ["WEIGHTS_FILE", "GPTConfig", "MusicGPT", "StaticCache", "save_model", "load_model"]
TIED = ("lm_head.",)  # lm_head is wte (weight tying): stored once, under wte, and tied again on loading
KVCache = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values (B, heads, T, head size)


@dataclass
class GPTConfig:
    """The one source of the model's defaults: train.py's options take theirs from here. The shipped
    mood models use exactly these (256-token windows, 4 layers × 128, 0.84 M parameters)."""

    vocab_size: int = len(VOCAB)  # event tokens (pipelines.text_to_music.tokens)
    block_size: int = 256  # longest context, in tokens; sampling slides by half a window past it
    n_layer: int = 4  # transformer blocks
    n_head: int = 4  # attention heads per block
    n_embd: int = 128  # width of the residual stream
    dropout: float = 0.1  # during training only


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.dropout = config.n_head, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, past: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
                cache: Optional["StaticCache"] = None, layer: int = 0):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (y.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for y in (q, k, v))
        before = cache.length if cache is not None else past[0].shape[2] if past is not None else 0  # cached tokens
        if cache is not None:  # the new tokens attend to every cached one
            k, v = cache.write(layer, k, v)
        elif past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        # With a cache and one new token, nothing lies in its future: no mask is needed.
        causal = before == 0 or t > 1
        if causal and before:
            mask = torch.ones(t, k.shape[2], dtype=torch.bool).tril(k.shape[2] - t)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=causal, dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_dropout(self.c_proj(y)), (k, v)


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(config.n_embd), nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd), nn.GELU(), nn.Linear(4 * config.n_embd, config.n_embd), nn.Dropout(config.dropout)
        )

    def forward(self, x: torch.Tensor, past=None, cache: Optional["StaticCache"] = None, layer: int = 0):
        attended, present = self.attn(self.ln_1(x), past, cache, layer)
        x = x + attended
        return x + self.mlp(self.ln_2(x)), present


class MusicGPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as GPT-2
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2's scaled init of the residual projections
            if name.endswith("c_proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, targets: Optional[torch.Tensor] = None, past: Optional[KVCache] = None,
                cache: Optional["StaticCache"] = None):
        """(logits, loss or None, new cache). With `past`, idx holds only the new tokens; with `cache` (a StaticCache,
        returned as the new cache), idx holds the tokens after its `length` (all of them when that is 0)."""
        start = cache.length if cache is not None else past[0][0].shape[2] if past else 0
        if start + idx.shape[1] > self.config.block_size:
            raise ValueError(f"sequence of {start + idx.shape[1]} tokens exceeds block_size {self.config.block_size}")
        pos = torch.arange(start, start + idx.shape[1], device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        present = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, past[i] if past else None, cache, i)
            present.append(kv)
        if cache is not None:
            cache.length, present = start + idx.shape[1], cache
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss, present


class StaticCache:
    """Every layer's keys and values for up to block_size tokens, written in place as tokens come. Growing a cache by
    concatenation allocates all of it again for each token: decoding 16 pieces together, that took 85 % of the time
    (fresh memory from the system, page by page). `keep` drops the rows of pieces that have ended."""

    def __init__(self, config: GPTConfig, batch: int) -> None:
        shape = (config.n_layer, batch, config.n_head, config.block_size, config.n_embd // config.n_head)
        self.keys, self.values, self.length = torch.zeros(shape), torch.zeros(shape), 0

    def write(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store the new tokens' keys and values after `length`; all keys and values so far."""
        end = self.length + k.shape[2]
        self.keys[layer, :, :, self.length:end], self.values[layer, :, :, self.length:end] = k, v
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]

    def keep(self, rows: torch.Tensor) -> None:
        self.keys, self.values = self.keys.index_select(1, rows), self.values.index_select(1, rows)


def save_model(folder: str | Path, model: MusicGPT, info: dict[str, Any], record: Optional[dict[str, Any]] = None,
               half: bool = True) -> Path:
    """The checkpoint folder; config.json holds `info` (mood, licence) after the vocabulary, which
    load_model checks, and with a `record` how the model was trained."""
    return save_checkpoint(folder, model, model.config, record, info={"vocabulary": list(VOCAB), **info}, half=half, skip=TIED)


def load_model(folder: str | Path) -> tuple[MusicGPT, dict[str, Any]]:
    """(the model in eval mode, float32; config.json). Refuses a model of another token vocabulary."""
    if read_info(folder).get("vocabulary") != list(VOCAB):  # before building: its sizes would not fit either
        raise ValueError(f"{str(folder)!r} was trained with another token vocabulary than pipelines.text_to_music.tokens")
    model, _, info = load_checkpoint(folder, MusicGPT, GPTConfig, skip=TIED, what="music model")
    return model, info
