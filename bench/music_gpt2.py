"""Text → Music on transformers' GPT2LMHeadModel + generate() against today's model.py (issue #10). One run, warm.

    OMP_NUM_THREADS=1 .venv/bin/python -m bench.music_gpt2 [--seeds 3] [--repeats 2]

Speed: the tab's whole path for 30 s of audio — TextToMusicPipeline.compose with the mood given (the tagger is left out):
sampling, MIDI, Ogg audio, piano roll — every mood × seeds 0…N-1, each piece `repeats` times per model in
the order today, GPT2, GPT2, today…, the best of each counted. Time is the process's CPU time: with one
thread it is the wall time of an idle machine, and it stays so on a shared one, where the wall time of a
piece varied by 2× from run to run (both are printed). The ratio is of the summed times. Then the sampling
cost per token, and the part of it that is the model's forward with its KV cache alone.
Quality: both models sample the same pieces (same seed, same settings); every sampled token obeys the grammar.
The GPT2 path is adopted if its time is within 1.2× of today's.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import torch

from pipelines.text_to_music import pipeline
from pipelines.text_to_music.generate import generate_piece
from pipelines.text_to_music.grammar import Grammar
from pipelines.text_to_music.gpt2 import to_gpt2
from pipelines.text_to_music.moods import MOODS, SIGNATURES
from pipelines.text_to_music.pipeline import MusicRequest, get_music_model, get_pipeline

SECONDS = 30
ADOPT_WITHIN = 1.2
PATHS = ("today", "gpt2")


def valid_token_rate(tokens: list[int]) -> float:
    """The share of sampled tokens (after BOS, before the EOS that closes every piece) the grammar allowed."""
    grammar, valid = Grammar(0), 0
    for token in tokens[1:-1]:
        valid += bool(grammar.allowed()[token])
        grammar.advance(token)
    return valid / max(len(tokens) - 2, 1)


def forward_ms_per_token(model, gpt2: bool, steps: int = 100, repeats: int = 5) -> float:
    """CPU time of the model's forward for one new token after 100 cached ones, best of `repeats`."""
    ids, best = torch.randint(0, model.config.vocab_size, (1, 100)), float("inf")
    with torch.inference_mode():
        for _ in range(repeats):
            past = model(ids, use_cache=True).past_key_values if gpt2 else model(ids)[2]
            start = time.process_time()
            for _ in range(steps):
                past = model(ids[:, :1], past_key_values=past, use_cache=True).past_key_values if gpt2 else model(ids[:, :1], past=past)[2]
            best = min(best, (time.process_time() - start) / steps * 1000)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(1)
    models = {"today": {m: get_music_model(m) for m in MOODS}}
    models["gpt2"] = {m: to_gpt2(model) for m, model in models["today"].items()}
    studio = get_pipeline()

    def text_to_music(path: str, mood: str, seed: int):
        """(CPU seconds, wall seconds, result) of the tab's path with this model."""
        with mock.patch.object(pipeline, "get_music_model", models[path].__getitem__):
            cpu, wall = time.process_time(), time.perf_counter()
            result = studio.compose(MusicRequest(text="a walk by the sea", mood=mood, seconds=SECONDS, seed=seed))
            return time.process_time() - cpu, time.perf_counter() - wall, result

    for path in PATHS:  # warm: first calls, soundfont, allocator
        text_to_music(path, "happy", 1000)
    total = {path: {"cpu": 0.0, "wall": 0.0, "sample": 0.0} for path in PATHS}
    print(f"text → {SECONDS} s of audio, mood given, 1 thread, seeds 0–{args.seeds - 1}, best of {args.repeats} (CPU s; wall s)\n")
    print("| mood | today | GPT2 + generate() | ratio | same pieces |")
    print("|---|---|---|---|---|")
    for mood in MOODS:
        mood_cpu, same = {path: 0.0 for path in PATHS}, 0
        for seed in range(args.seeds):
            best, pieces = {}, {}
            for i in range(args.repeats):
                for path in PATHS if i % 2 == 0 else PATHS[::-1]:
                    cpu, wall, result = text_to_music(path, mood, seed)
                    if path not in best or cpu < best[path][0]:
                        best[path] = (cpu, wall, result.timings["sample"])
                    pieces[path] = result.piece
            same += pieces["today"] == pieces["gpt2"]
            for path in PATHS:
                mood_cpu[path] += best[path][0]
                for key, value in zip(("cpu", "wall", "sample"), best[path]):
                    total[path][key] += value
        print(f"| {mood} | {mood_cpu['today']:.2f} | {mood_cpu['gpt2']:.2f} | {mood_cpu['gpt2'] / mood_cpu['today']:.2f}× | {same} of {args.seeds} |")
    ratio = total["gpt2"]["cpu"] / total["today"]["cpu"]
    print(f"| **all** | {total['today']['cpu']:.2f} ({total['today']['wall']:.2f} wall) | {total['gpt2']['cpu']:.2f} "
          f"({total['gpt2']['wall']:.2f} wall) | **{ratio:.2f}×** ({total['gpt2']['wall'] / total['today']['wall']:.2f}× wall) | |\n")

    tokens = {path: [] for path in PATHS}
    for mood in MOODS:
        for seed in range(args.seeds):
            for path in PATHS:
                tokens[path].append(generate_piece(models[path][mood], SECONDS, SIGNATURES[mood].default_tempo, seed=seed).tokens)
    for path, name in zip(PATHS, ("today", "GPT2 + generate()")):
        valid = sum(valid_token_rate(t) * (len(t) - 2) for t in tokens[path]) / sum(len(t) - 2 for t in tokens[path])
        count = sum(len(t) for t in tokens[path])  # the timed pieces' tokens: same seeds, same settings
        forward = forward_ms_per_token(models[path]["happy"], gpt2=path == "gpt2")
        print(f"{name}: sampling {total[path]['sample'] / count * 1000:.2f} ms a token (wall), the forward with its KV cache "
              f"{forward:.2f} ms (CPU); valid tokens {100 * valid:.1f} %")
    same = sum(a == b for a, b in zip(tokens["today"], tokens["gpt2"]))
    print(f"the same tokens from the same seed: {same} of {len(tokens['today'])} pieces")
    verdict = "within" if ratio <= ADOPT_WITHIN else "over"
    print(f"\nGPT2 + generate() takes {ratio:.2f}× today's CPU time: {verdict} the {ADOPT_WITHIN}× allowed.")


if __name__ == "__main__":
    main()
