"""Text → Image: what the embedded model draws, and what each model costs. Ratios measured in one run.

    .venv/bin/python -m bench.text_to_image [--concepts 100] [--skip-sd]

1. Concept accuracy of the embedded model: for prompts naming training emoji (the CLDR name, in English
   and in Korean), generate images and look up the nearest training images (RMS over 32×32 pixels):
   how often the prompted emoji is the nearest (top-1) or among the 5 nearest (top-5), against chance.
2. Overhead of the app's pipeline (validation, prompt checks, PNG with settings) over a bare call on the
   same components, same steps and size: for a random SD pipeline and for the embedded model.
3. Embedded model: 4 images (25 DDIM steps) with 1 and with 2 threads.
4. Full-size SD on CPU: one SD-Turbo-shaped step (UNet + VAE decode, random weights) at 256 and 512 px,
   time and peak memory, each in a fresh process.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before huggingface_hub reads it: nothing is downloaded

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pipelines.text_to_image.backends import EMBEDDED, get_backend
from pipelines.text_to_image.pipeline import TextToImage


def as_vectors(images: np.ndarray, size: int) -> torch.Tensor:
    """(N, 32, 32, 3) uint8 → (N, size·size·3) floats, area-averaged down to size×size."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    return torch.nn.functional.adaptive_avg_pool2d(x, size).flatten(1)


def concept_accuracy(concepts: int, seed: int = 0, samples_grid: Path | None = None, guidance: float | None = None,
                     steps: int | None = None) -> None:
    """Nearest training images by RMS over the 32×32 pixels, and over an 8×8 average (colour and layout,
    blind to the pixel-level speckle a small model leaves)."""
    from pipelines.text_to_image import emoji_data

    data = emoji_data.load(32)
    picks = np.random.default_rng(seed).choice(len(data), concepts, replace=False)
    backend = get_backend(EMBEDDED)
    pipeline = TextToImage()
    rows, grid = [], []
    for language in ("en", "ko"):
        generated = []
        for n, index in enumerate(picks):
            names = data.captions_en[index] if language == "en" else data.captions_ko[index]
            result = pipeline(names[0], model=EMBEDDED, seed=n, num_images=1, guidance=guidance, steps=steps)
            generated.append(np.asarray(result.images[0]))
            if language == "en" and len(grid) < 32:
                grid.append((result.images[0], data.images[index], names[0]))
        for size in (32, 8):
            order = torch.cdist(as_vectors(np.stack(generated), size), as_vectors(data.images, size)).argsort(dim=1)[:, :5]
            top1 = np.mean([o[0] == i for o, i in zip(order.tolist(), picks)])
            top5 = np.mean([i in o for o, i in zip(order.tolist(), picks)])
            rows.append((language, size, top1, top5))
    chance1, chance5 = 1 / len(data), 5 / len(data)
    settings = f"guidance {guidance or backend.limits.default_guidance}, {steps or backend.limits.default_steps} steps"
    print(f"\n### Concept accuracy: {concepts} emoji named by their CLDR name, nearest of {len(data)} training images ({settings})")
    print("| prompts | distance over | top-1 | top-5 |\n|---|---|---|---|")
    for language, size, t1, t5 in rows:
        print(f"| {language} | {size}×{size} | {100 * t1:.1f} % ({t1 / chance1:.0f}× chance) | {100 * t5:.1f} % ({t5 / chance5:.0f}× chance) |")
    print(f"chance: top-1 {100 * chance1:.2f} %, top-5 {100 * chance5:.2f} %")
    if samples_grid:
        save_samples_grid(grid, samples_grid)


def save_samples_grid(grid, path: Path) -> None:
    """Generated (top) over the training emoji it was asked for (bottom), 8 per row."""
    from PIL import Image

    cell, cols = 64, 8
    canvas = Image.new("RGB", (cols * cell, (len(grid) // cols) * 2 * cell), "white")
    for i, (generated, target, _) in enumerate(grid[: (len(grid) // cols) * cols]):
        x, y = (i % cols) * cell, (i // cols) * 2 * cell
        canvas.paste(generated.resize((cell, cell), Image.Resampling.BICUBIC), (x, y))
        canvas.paste(Image.fromarray(target).resize((cell, cell), Image.Resampling.BICUBIC), (x, y + cell))
    canvas.save(path)
    print(f"samples grid: {path} (rows: generated, then the prompted emoji); prompts: "
          + ", ".join(name for _, _, name in grid[: (len(grid) // cols) * cols]))


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def overhead(repeats: int = 7) -> None:
    """Alternate bare and app calls so machine noise hits both alike."""
    import tempfile

    from pipelines.text_to_image.tiny_sd import tiny_sd_pipeline

    pipeline = TextToImage()
    folder = tempfile.mkdtemp()
    tiny_sd_pipeline(sample_size=64).save_pretrained(folder)  # 128 px images: a step is not all overhead
    sd = get_backend(folder).pipe
    steps, size = 20, 128

    def bare_sd():
        sd("a lighthouse at dusk", num_inference_steps=steps, guidance_scale=7.0, width=size, height=size,
           generator=[torch.Generator().manual_seed(0)])

    def app_sd():
        pipeline("a lighthouse at dusk", model=folder, steps=steps, guidance=7.0, width=size, height=size, seed=0)

    embedded = get_backend(EMBEDDED)

    def bare_embedded():
        text = torch.from_numpy(embedded.encoder.encode(["red heart"])).expand(4, -1)
        embedded.model.sample(text, steps=25, guidance=3.0, noise=torch.randn(4, 3, 32, 32))

    def app_embedded():
        pipeline("red heart", model=EMBEDDED, steps=25, guidance=3.0, seed=0, num_images=4, scheduler="ddim")

    print("\n### Overhead of the app's pipeline over a bare call (same components, steps, size; medians)")
    print("| model | bare | app pipeline | overhead |\n|---|---|---|---|")
    for name, bare, app in (("random SD, 128 px, 20 steps", bare_sd, app_sd),
                            ("embedded, 4 × 32 px, 25 steps", bare_embedded, app_embedded)):
        bare(), app()  # warm up
        pairs = [(median_time(bare, 1), median_time(app, 1)) for _ in range(repeats)]
        b, a = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        print(f"| {name} | {b * 1000:.0f} ms | {a * 1000:.0f} ms | {100 * (a / b - 1):+.1f} % |")


def embedded_speed() -> None:
    pipeline = TextToImage()
    print("\n### Embedded model: 4 images, 25 DDIM steps, 32 px")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        pipeline("warm up", model=EMBEDDED, num_images=4, seed=0)
        seconds = median_time(lambda: pipeline("red heart", model=EMBEDDED, num_images=4, seed=0), 5)
        print(f"- {threads} thread{'s' if threads > 1 else ''}: {seconds:.2f} s (target ≤ 2 s)")
    torch.set_num_threads(1)


def sd_step(size: int) -> dict:
    """Run in a child process: one SD-Turbo-shaped UNet step + VAE decode at `size` px."""
    from pipelines.text_to_image.tiny_sd import sd_turbo_unet, sd_turbo_vae

    torch.manual_seed(0)
    unet, vae = sd_turbo_unet(), sd_turbo_vae()
    latents = torch.randn(1, 4, size // 8, size // 8)
    text = torch.randn(1, 77, 1024)
    with torch.no_grad():
        start = time.perf_counter()
        unet(latents, torch.tensor([999]), encoder_hidden_states=text)
        unet_s = time.perf_counter() - start
        start = time.perf_counter()
        vae.decode(latents)
        vae_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    return {"size": size, "unet_s": unet_s, "vae_s": vae_s, "peak_gib": peak}


def full_size_sd() -> None:
    print("\n### SD-Turbo-shaped step on this CPU (random weights, float32, batch 1, fresh process each)")
    print("| size | threads | UNet step | VAE decode | one 1-step image | peak memory |\n|---|---|---|---|---|---|")
    for size in (256, 512):
        for threads in (1, 2):
            env = dict(os.environ, GS_BENCH_CHILD=str(size), OMP_NUM_THREADS=str(threads))
            out = subprocess.run([sys.executable, "-m", "bench.text_to_image", "--child", str(size)], env=env,
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            print(f"| {size} px | {threads} | {r['unet_s']:.1f} s | {r['vae_s']:.1f} s | {r['unet_s'] + r['vae_s']:.1f} s "
                  f"| {r['peak_gib']:.1f} GiB |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concepts", type=int, default=100, help="0 skips the concept accuracy")
    parser.add_argument("--skip-sd", action="store_true", help="skip the full-size SD timings (minutes)")
    parser.add_argument("--only-concepts", action="store_true", help="only the concept accuracy")
    parser.add_argument("--guidance", type=float, nargs="*", default=[None], help="guidance scales to compare")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--samples-grid", type=Path, default=None, help="write a README grid of samples here")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        print(json.dumps(sd_step(args.child)))
        return
    torch.set_num_threads(1)
    for guidance in args.guidance if args.concepts else []:
        concept_accuracy(args.concepts, samples_grid=args.samples_grid, guidance=guidance, steps=args.steps)
    if args.only_concepts:
        return
    embedded_speed()
    overhead()
    if not args.skip_sd:
        full_size_sd()


if __name__ == "__main__":
    main()
