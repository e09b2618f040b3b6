"""MoodTagger: a sentence encoder plus a linear softmax head trained on assets/mood/sentences.tsv."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from pipelines.common.config import ASSETS_DIR
from pipelines.common.loading import cached_loader
from pipelines.common.validation import UserInputError, quote
from pipelines.common.validation import check_text as validate_text
from pipelines.common.text_encoders import SentenceEncoder, get_encoder
from pipelines.text_to_music.moods import KOREAN, MOODS

TAGGER_DIR = ASSETS_DIR / "mood" / "tagger"
MAX_CHARS = 500


@dataclass
class MoodResult:
    mood: str  # the most likely of MOODS
    probabilities: dict[str, float]  # every mood, summing to 1

    @property
    def korean(self) -> str:
        return KOREAN[self.mood]


def check_text(text: Any) -> str:
    text = validate_text(text, "the text", MAX_CHARS,
                         empty_hint="describe a scene or a feeling, e.g. 'a rainy goodbye' or '비 오는 날의 이별'")
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        raise UserInputError("mood.no_words", f"{quote(text)} has no words to read a mood from: add a few words, or pick the mood yourself", value=quote(text))
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

    def save(self, folder: Path, info: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        save_file({"weight": self.weight.astype(np.float32), "bias": self.bias.astype(np.float32)}, str(folder / "head.safetensors"))
        config = {"encoder": self.encoder.name, "moods": list(MOODS), **info}
        (folder / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")


@cached_loader
def get_tagger(folder: str = str(TAGGER_DIR)) -> MoodTagger:
    config = json.loads((Path(folder) / "config.json").read_text())
    if config["moods"] != list(MOODS):
        raise ValueError(f"the tagger in {folder!r} was trained for other moods: {config['moods']}")
    head = load_file(str(Path(folder) / "head.safetensors"))
    return MoodTagger(get_encoder(config["encoder"]), head["weight"], head["bias"])
