"""The labelled sentence set (assets/mood/sentences.tsv) and its fixed held-out split."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from pipelines.common.config import ASSETS_DIR
from pipelines.text_to_music.moods import MOODS

SENTENCES_FILE = ASSETS_DIR / "mood" / "sentences.tsv"
HELD_OUT_SHARE = 0.2
SPLIT_SEED = 0


@dataclass
class Sentence:
    text: str
    mood: str
    lang: str  # "en" or "ko"
    held_out: bool


def load_sentences() -> list[Sentence]:
    """Every sentence; a seeded 20 % of each (mood, language) pair is held out."""
    with open(SENTENCES_FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    rng = np.random.default_rng(SPLIT_SEED)
    held_out = set()
    for mood in MOODS:
        for lang in ("en", "ko"):
            group = [i for i, r in enumerate(rows) if r["mood"] == mood and r["lang"] == lang]
            held_out.update(rng.permutation(group)[: round(len(group) * HELD_OUT_SHARE)].tolist())
    return [Sentence(r["text"], r["mood"], r["lang"], i in held_out) for i, r in enumerate(rows)]
