"""Stable Diffusion's CLIP tokenizer, built offline from the BPE file that `open-clip-torch` ships.

SD's tokenizer lives on the hub; the same byte-pair vocabulary ships inside the open-clip-torch
wheel (`open_clip/bpe_simple_vocab_16e6.txt.gz`). Converted to `vocab.json` (49,408 entries) and
`merges.txt`, `transformers.CLIPTokenizer` gives exactly open_clip's ids — SD's real tokenizer.
Only the file is read: open_clip itself is never imported (it would need torchvision and timm).
"""

from __future__ import annotations

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path

BPE_FILE = "bpe_simple_vocab_16e6.txt.gz"
N_MERGES = 49152 - 256 - 2  # the slice open_clip's SimpleTokenizer uses


def bpe_path() -> Path:
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("open-clip-torch is not installed: pip install --no-deps open-clip-torch==3.3.0")
    return Path(list(spec.submodule_search_locations)[0]) / BPE_FILE


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable character table, which CLIP's vocabulary is written in."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = printable[:], 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars)))


def read_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """CLIP's vocabulary (token → id) and merge list, as open_clip's SimpleTokenizer builds them."""
    lines = gzip.open(bpe_path(), "rt", encoding="utf-8").read().split("\n")
    merges = [tuple(line.split()) for line in lines[1:N_MERGES + 1]]
    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(tokens)}, merges


@lru_cache(maxsize=1)
def clip_tokenizer():
    """SD's tokenizer: 77 tokens, end-of-text as padding, as SD's tokenizer_config says."""
    from transformers import CLIPTokenizer

    vocab, merges = read_vocab()
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77, pad_token="<|endoftext|>")
