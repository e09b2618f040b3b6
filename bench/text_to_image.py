"""Text → Image: what the embedded model draws, and what each model costs. Ratios measured in one run.

    .venv/bin/python -m bench.text_to_image [--skip-sd]

(The embedded model's concept accuracy has its own bench: `python -m bench.emoji_model`.)
1. Overhead of the app's pipeline (validation, prompt checks, PNG with settings) over a bare call on the
   same components, same steps and size: for a random SD pipeline and for the embedded model.
2. Embedded model: 4 images (25 steps, 64 px) through the app's pipeline with 1 and with 2 threads.
3. Full-size SD on CPU: one SD-Turbo-shaped step (UNet, then the full VAE decode or the tiny one, TAESD's
   `AutoencoderTiny`; random weights) at 256 and 512 px, time and peak memory, each in a fresh process.
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

import torch

from pipelines.text_to_image.backends import EMBEDDED, get_backend
from pipelines.text_to_image.pipeline import get_pipeline
from pipelines.text_to_image.request import ImageRequest


def draw(prompt: str, **sent):
    """The app's whole path: the request checked, then drawn (PNGs with their settings included)."""
    return get_pipeline().generate(ImageRequest.from_user(prompt=prompt, **sent))


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def overhead(repeats: int = 7) -> None:
    """Alternate bare and app calls so machine noise hits both alike."""
    import shutil
    import tempfile

    from tests.tiny_sd import tiny_sd_pipeline

    from pipelines.common.config import get_settings

    models_dir = get_settings().models_dir  # the one folder whose models users may name (GS_MODELS_DIR)
    models_dir.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(dir=models_dir, prefix="bench-tiny-sd-")
    tiny_sd_pipeline(sample_size=64).save_pretrained(folder)  # 128 px images: a step is not all overhead
    sd = get_backend(folder).pipe
    steps, size = 20, 128

    def bare_sd():
        sd("a lighthouse at dusk", num_inference_steps=steps, guidance_scale=7.0, width=size, height=size,
           generator=[torch.Generator().manual_seed(0)])

    def app_sd():
        draw("a lighthouse at dusk", model=folder, steps=steps, guidance=7.0, width=size, height=size, seed=0)

    embedded = get_backend(EMBEDDED)

    def bare_embedded():
        embedded.pipe("red heart", num_inference_steps=25, guidance_scale=5.0, num_images_per_prompt=4,
                      generator=[torch.Generator().manual_seed(i) for i in range(4)])

    def app_embedded():
        draw("red heart", model=EMBEDDED, steps=25, guidance=5.0, seed=0, num_images=4)

    print("\n### Overhead of the app's pipeline over a bare call (same components, steps, size; medians)")
    print("| model | bare | app pipeline | overhead |\n|---|---|---|---|")
    for name, bare, app in (("random SD, 128 px, 20 steps", bare_sd, app_sd),
                            ("embedded, 4 × 64 px, 25 steps", bare_embedded, app_embedded)):
        bare(), app()  # warm up
        pairs = [(median_time(bare, 1), median_time(app, 1)) for _ in range(repeats)]
        b, a = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        print(f"| {name} | {b * 1000:.0f} ms | {a * 1000:.0f} ms | {100 * (a / b - 1):+.1f} % |")
    shutil.rmtree(folder, ignore_errors=True)


def embedded_speed() -> None:
    print("\n### Embedded model: 4 images, 25 steps, 64 px (through the app's pipeline, PNGs included)")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        draw("warm up", model=EMBEDDED, num_images=4, seed=0)
        seconds = median_time(lambda: draw("red heart", model=EMBEDDED, num_images=4, seed=0), 5)
        print(f"- {threads} thread{'s' if threads > 1 else ''}: {seconds:.2f} s (target ≤ 2 s)")
    torch.set_num_threads(1)


def sd_step(size: int) -> dict:
    """Run in a child process: one SD-Turbo-shaped UNet step + the full VAE's decode and TAESD's at `size` px."""
    from diffusers import AutoencoderTiny

    from tests.tiny_sd import sd_turbo_unet, sd_turbo_vae

    torch.manual_seed(0)
    unet, vae, tiny = sd_turbo_unet(), sd_turbo_vae(), AutoencoderTiny()  # AutoencoderTiny() has TAESD's shapes
    latents = torch.randn(1, 4, size // 8, size // 8)
    text = torch.randn(1, 77, 1024)
    with torch.no_grad():
        start = time.perf_counter()
        unet(latents, torch.tensor([999]), encoder_hidden_states=text)
        unet_s = time.perf_counter() - start
        start = time.perf_counter()
        vae.decode(latents)
        vae_s = time.perf_counter() - start
        tiny.decode(latents)  # warm-up: its first call pays one-off allocation
        start = time.perf_counter()
        tiny.decode(latents)
        tiny_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    return {"size": size, "unet_s": unet_s, "vae_s": vae_s, "tiny_s": tiny_s, "peak_gib": peak}


def full_size_sd() -> None:
    print("\n### SD-Turbo-shaped step on this CPU (random weights, float32, batch 1, fresh process each)")
    print("| size | threads | UNet step | VAE decode | TAESD decode | 1-step image, VAE | 1-step image, TAESD | ratio | peak memory |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in (256, 512):
        for threads in (1, 2):
            env = dict(os.environ, GS_BENCH_CHILD=str(size), OMP_NUM_THREADS=str(threads))
            out = subprocess.run([sys.executable, "-m", "bench.text_to_image", "--child", str(size)], env=env,
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            full, tiny = r["unet_s"] + r["vae_s"], r["unet_s"] + r["tiny_s"]
            print(f"| {size} px | {threads} | {r['unet_s']:.1f} s | {r['vae_s']:.1f} s | {r['tiny_s']:.2f} s | {full:.1f} s "
                  f"| {tiny:.1f} s | {full / tiny:.1f}× | {r['peak_gib']:.1f} GiB |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-sd", action="store_true", help="skip the full-size SD timings (minutes)")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        print(json.dumps(sd_step(args.child)))
        return
    torch.set_num_threads(1)
    embedded_speed()
    overhead()
    if not args.skip_sd:
        full_size_sd()


if __name__ == "__main__":
    main()
