"""Train one mood's GPT on its part of the corpus.

    python -m pipelines.text_to_music.train --mood happy --iterations 2400 --seed 0

Reads assets/music/corpus/<mood>.{train,val}.npy (built by `python -m pipelines.text_to_music.corpus`; every
piece already in C major or A minor), trains on random windows (optionally transposed by up to
±--transpose semitones; 0 by default, so the model keeps one home key), and writes
assets/music/models/<mood>/ (float16 safetensors,
config.json with the vocabulary, training_record.json). Reproducible from --seed on CPU.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from pipelines.common.config import ASSETS_DIR
from pipelines.text_to_music.corpus import CORPUS_DIR
from pipelines.text_to_music.model import GPTConfig, MusicGPT, save_model
from pipelines.text_to_music.moods import MOODS
from pipelines.text_to_music.tokens import PITCH_RANGE, TOKEN_ID

MODELS_DIR = ASSETS_DIR / "music" / "models"
FIRST_PITCH = TOKEN_ID[f"PITCH_{PITCH_RANGE[0]}"]
LAST_PITCH = TOKEN_ID[f"PITCH_{PITCH_RANGE[1]}"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mood", required=True, choices=MOODS)
    p.add_argument("--iterations", type=int, default=2400)
    p.add_argument("--batch-size", type=int, default=8)
    model = GPTConfig()  # the model's defaults have one source: the dataclass
    p.add_argument("--block-size", type=int, default=model.block_size)
    p.add_argument("--n-layer", type=int, default=model.n_layer)
    p.add_argument("--n-head", type=int, default=model.n_head)
    p.add_argument("--n-embd", type=int, default=model.n_embd)
    p.add_argument("--dropout", type=float, default=model.dropout)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--transpose", type=int, default=0, help="augment: random shifts of up to ± this many semitones")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--corpus", default=str(CORPUS_DIR))
    p.add_argument("--out", default=None, help=f"default: {MODELS_DIR}/<mood>")
    return p.parse_args(argv)


def transpose(window: torch.Tensor, shift: int) -> torch.Tensor:
    pitch = (window >= FIRST_PITCH) & (window <= LAST_PITCH)
    moved = window + shift * pitch
    if ((moved < FIRST_PITCH) & pitch).any() or ((moved > LAST_PITCH) & pitch).any():
        return window  # out of range: keep this window as it is
    return moved


def batch(data: torch.Tensor, size: int, block: int, gen: torch.Generator, max_shift: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows and their next tokens, each moved by up to ± max_shift semitones (--transpose)."""
    starts = torch.randint(len(data) - block - 1, (size,), generator=gen)
    windows = torch.stack([data[s : s + block + 1] for s in starts.tolist()])
    if max_shift:  # not named `transpose`: that would hide the function above
        shifts = torch.randint(-max_shift, max_shift + 1, (size,), generator=gen).tolist()
        windows = torch.stack([transpose(w, k) for w, k in zip(windows, shifts)])
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def validation_loss(model: MusicGPT, data: torch.Tensor, block: int, batches: int = 20) -> float:
    model.eval()
    gen = torch.Generator().manual_seed(1234)  # the same windows at every evaluation
    losses = [model(*batch(data, 8, block, gen))[1].item() for _ in range(batches)]
    model.train()
    return float(np.mean(losses))


def train(args: argparse.Namespace) -> dict:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    corpus = Path(args.corpus)
    train_data = torch.from_numpy(np.load(corpus / f"{args.mood}.train.npy").astype(np.int64))
    val_data = torch.from_numpy(np.load(corpus / f"{args.mood}.val.npy").astype(np.int64))
    block = min(args.block_size, len(val_data) - 2, len(train_data) - 2)
    config = GPTConfig(block_size=args.block_size, n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd, dropout=args.dropout)
    model = MusicGPT(config)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(args.seed)
    warmup, history, start = min(100, args.iterations // 10), [], time.time()

    for it in range(1, args.iterations + 1):
        progress = (it - warmup) / max(1, args.iterations - warmup)
        lr = args.lr * it / warmup if it <= warmup else args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = batch(train_data, args.batch_size, block, gen, args.transpose)
        _, loss, _ = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if it % args.eval_every == 0 or it == args.iterations:
            row = {"iteration": it, "seconds": round(time.time() - start, 1), "train_loss": round(loss.item(), 4),
                   "val_loss": round(validation_loss(model, val_data, block), 4), "lr": round(lr, 6)}
            history.append(row)
            print(json.dumps(row), flush=True)

    record = {
        "mood": args.mood, "iterations": args.iterations, "tokens_seen": args.iterations * args.batch_size * block,
        "train_tokens": len(train_data), "val_tokens": len(val_data), "val_loss": history[-1]["val_loss"],
        "seconds": round(time.time() - start, 1), "args": vars(args), "torch": torch.__version__, "history": history,
    }
    info = {"mood": args.mood, "license": "weights: this project's; corpus: music21's collections (see README)",
            "training": {k: v for k, v in record.items() if k != "history"}}
    out = save_model(Path(args.out or MODELS_DIR / args.mood), model.eval(), info)
    (out / "training_record.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    record = train(parse_args(argv))
    print(f"{record['mood']}: {record['tokens_seen']} tokens seen, validation loss {record['val_loss']}")


if __name__ == "__main__":
    main()
