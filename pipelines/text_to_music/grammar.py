"""The token grammar sampling follows (`Grammar`: which tokens may come next, so every sample decodes to a
well-formed piece of the requested length) and the progress line as bars are written. Shared by the mood GPTs'
sampler (generate.py) and the transformers GPT-2 one (gpt2.py).
"""

from __future__ import annotations

import numpy as np
import torch

from pipelines.common.validation import Notice
from pipelines.text_to_music.tokens import BAR, BOS, EOS, MAX_POSITION, VOCAB

MAX_CHORD = 4  # notes that may start together
KIND = np.array([t.split("_")[0] for t in VOCAB])  # each token's kind: "TS", "BAR", "POS", "PITCH", "DUR", …
POSITION = np.array([int(t[4:]) if t.startswith("POS_") else -1 for t in VOCAB])


class Grammar:
    """Which tokens may come next: TS after BOS; after BAR a POS in the bar (or BAR); a PITCH
    after POS; a DUR after PITCH; after DUR another PITCH (a chord of at most MAX_CHORD notes),
    a later POS, BAR, or EOS."""

    def __init__(self, min_bars: int) -> None:
        self.min_bars, self.last, self.bars, self.position, self.bar_length, self.chord = min_bars, BOS, 0, -1, 16, 0

    def max_tokens_per_bar(self) -> int:
        return 1 + self.bar_length * (1 + 2 * MAX_CHORD)

    def advance(self, token: int) -> None:
        kind = KIND[token]
        if kind == "TS":
            num, den = map(int, VOCAB[token][3:].split("/"))
            self.bar_length = min(num * 16 // den, MAX_POSITION)
        elif token == BAR:
            self.bars, self.position = self.bars + 1, -1
        elif kind == "POS":
            self.position, self.chord = int(POSITION[token]), 0
        elif kind == "PITCH":
            self.chord += 1
        self.last = token

    def allowed(self) -> torch.Tensor:
        kind = KIND[self.last]
        if self.last == BOS:
            ok = KIND == "TS"
        elif kind == "TS":  # a piece opens its first bar, as every training piece does
            ok = KIND == "BAR"
        elif kind == "POS":
            ok = KIND == "PITCH"
        elif kind == "PITCH":
            ok = KIND == "DUR"
        else:  # after BAR or DUR
            ok = (KIND == "POS") & (POSITION > self.position) & (POSITION < self.bar_length)
            if kind == "DUR" and self.chord < MAX_CHORD:
                ok |= KIND == "PITCH"
            ok[BAR] = True
            ok[EOS] = kind == "DUR" and self.bars >= self.min_bars  # never end on an empty bar
        return torch.from_numpy(ok)


def bar_written(bar: int, bars: int) -> Notice:
    """The progress line as each bar is written."""
    return Notice("progress.bar", f"bar {bar} of {bars}", "{bars}마디 중 {bar}마디", bar=bar, bars=bars)
