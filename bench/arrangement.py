"""The arranged Text → Music path against the melody-only one, in the same run: time, and whether each mood stays audible.

    python -m bench.arrangement [--seeds 8] [--seconds 30]

Per mood, over the seeds: seconds from request to a playable Ogg (the mood given, so the tagger is not timed), the
number of instruments, and the share of pieces whose mode (Krumhansl–Schmuckler over every pitched note, duration-
weighted) is the mood's, whose tempo lies in the mood's range, and whose onset density (distinct onsets per quarter
note, all parts together) lies in the mood's range (moods.SIGNATURES) — for the melody alone and for the arrangement.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from pipelines.text_to_music.moods import MOODS, SIGNATURES, features
from pipelines.text_to_music.pipeline import MusicRequest, get_pipeline
from pipelines.text_to_music.tokens import Note, Piece


def as_piece(parts, time_signature: str) -> Piece:
    notes = [Note(round(s * 4), max(1, round(d * 4)), p) for part in parts if not part.is_drum for s, d, p, _ in part.notes]
    return Piece(time_signature, [], sorted(notes, key=lambda n: (n.start, -n.pitch)))


def run(mood: str, seed: int, seconds: float, parts) -> dict:
    start = time.perf_counter()
    result = get_pipeline().compose(MusicRequest(mood=mood, seconds=seconds, seed=seed, parts=parts))
    elapsed = time.perf_counter() - start
    signature, f = SIGNATURES[mood], features(as_piece(result.parts, result.piece.time_signature), result.tempo)
    return {"seconds": elapsed, "instruments": len(result.parts), "mode": f.key.mode == signature.mode,
            "tempo": signature.tempo[0] <= result.tempo <= signature.tempo[1],
            "density": signature.density[0] <= f.density <= signature.density[1]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    run("happy", 0, 4, None)  # load the models before timing
    print(f"{args.seconds:g} s pieces, {args.seeds} seeds per mood, one process on {torch.get_num_threads()} thread(s)")
    print("| mood | path | s to audio (median) | instruments | mood's mode % | tempo in range % | density in range % |")
    print("|---|---|---|---|---|---|---|")
    totals = {}
    for mood in MOODS:
        for path, parts in (("melody only", ("melody",)), ("arranged", None)):
            rows = [run(mood, seed, args.seconds, parts) for seed in range(args.seeds)]
            totals.setdefault(path, []).extend(r["seconds"] for r in rows)
            share = lambda key: 100 * np.mean([r[key] for r in rows])  # noqa: E731
            print(f"| {mood} | {path} | {np.median([r['seconds'] for r in rows]):.2f} | {np.mean([r['instruments'] for r in rows]):.1f} "
                  f"| {share('mode'):.0f} | {share('tempo'):.0f} | {share('density'):.0f} |")
    melody, arranged = (np.median(totals[k]) for k in ("melody only", "arranged"))
    print(f"\nmedian seconds to audio: melody only {melody:.2f}, arranged {arranged:.2f} (× {arranged / melody:.2f})")


if __name__ == "__main__":
    main()
