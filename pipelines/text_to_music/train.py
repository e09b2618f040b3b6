"""Train one mood's GPT on its part of the corpus.

    python -m pipelines.text_to_music.train --mood happy --iterations 2400 --seed 0 [--state PATH [--resume]]

Reads assets/music/corpus/<mood>.{train,val}.npy (built by `python -m pipelines.text_to_music.corpus`; every
piece already in C major or A minor), trains on random windows (optionally transposed by up to
±--transpose semitones; 0 by default, so the model keeps one home key) with AdamW, a linear warm-up and
a cosine down to a tenth of --lr, and writes the mood's checkpoint folder in GS_MUSIC_MODELS (float16
safetensors, config.json with the vocabulary, training_record.json). Reproducible from --seed on CPU.
With --state the training state is saved there every --save-every iterations and at the end; --resume
continues from it with the same settings (a run stopped and resumed equals a run straight through).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch
from transformers import get_cosine_with_min_lr_schedule_with_warmup

from pipelines.common.config import get_settings
from pipelines.common.training import (BatchOrder, add_state_options, due, parse_config, recipe, seed_everything,
                                       state_saver, training_record)
from pipelines.text_to_music.corpus import CORPUS_DIR
from pipelines.text_to_music.model import GPTConfig, MusicGPT, save_model
from pipelines.text_to_music.moods import MOODS
from pipelines.text_to_music.tokens import PITCH_RANGE, TOKEN_ID

FIRST_PITCH = TOKEN_ID[f"PITCH_{PITCH_RANGE[0]}"]
LAST_PITCH = TOKEN_ID[f"PITCH_{PITCH_RANGE[1]}"]
LICENSE = "weights: this project's; corpus: music21's collections (see README)"
# Options a resumed run may change (they do not alter the weights); not --iterations: the schedule spans them.
RESUMABLE_CHANGES = ("threads", "save_every", "eval_every")


@dataclass(frozen=True)
class TrainConfig:
    mood: str = ""  # which part of the corpus to learn (required): happy, sad, calm, tense or triumphant
    iterations: int = 2400  # optimiser steps; the learning-rate schedule spans them
    batch_size: int = 8  # windows per step
    block_size: int = GPTConfig.block_size  # window length in tokens (the architecture options' defaults are GPTConfig's)
    n_layer: int = GPTConfig.n_layer  # transformer blocks
    n_head: int = GPTConfig.n_head  # attention heads per block
    n_embd: int = GPTConfig.n_embd  # width of the residual stream
    dropout: float = GPTConfig.dropout  # dropout while training
    lr: float = 1e-3  # AdamW's peak learning rate, reached after a warm-up of min(100, iterations / 10) steps
    transpose: int = 0  # augmentation: each window moved by a random shift of up to ± this many semitones
    seed: int = 0  # seeds the weights, dropout and the windows drawn
    threads: int = 1  # torch threads (part of what makes a run reproducible)
    eval_every: int = 250  # iterations between validation losses (the rows of the record's history)
    save_every: int = 250  # iterations between saved training states (with --state)

    def __post_init__(self) -> None:
        if self.mood not in MOODS:
            raise ValueError(f"--mood must be one of {', '.join(MOODS)} (got {self.mood!r})")

    def model_config(self) -> GPTConfig:
        return GPTConfig(block_size=self.block_size, n_layer=self.n_layer, n_head=self.n_head, n_embd=self.n_embd,
                         dropout=self.dropout)


def parse_args(argv: list[str] | None = None) -> tuple[TrainConfig, argparse.Namespace]:
    def extra(p):
        p.add_argument("--corpus", type=Path, default=CORPUS_DIR, help=f"token files (default: {CORPUS_DIR})")
        p.add_argument("--out", type=Path, default=None, help="checkpoint folder (default: GS_MUSIC_MODELS/<mood>)")
        add_state_options(p)

    return parse_config(TrainConfig, argv, __doc__, extra)


# -- data -----------------------------------------------------------------------------------------------
def load_tokens(corpus: Path, mood: str, split: str) -> torch.Tensor:
    return torch.from_numpy(np.load(Path(corpus) / f"{mood}.{split}.npy").astype(np.int64))


def transpose(window: torch.Tensor, shift: int) -> torch.Tensor:
    pitch = (window >= FIRST_PITCH) & (window <= LAST_PITCH)
    moved = window + shift * pitch
    if ((moved < FIRST_PITCH) & pitch).any() or ((moved > LAST_PITCH) & pitch).any():
        return window  # out of range: keep this window as it is
    return moved


def windows(data: torch.Tensor, starts: torch.Tensor, block: int, shifts: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The windows at `starts` and their next tokens, each moved by its shift in semitones (--transpose)."""
    rows = torch.stack([data[s : s + block + 1] for s in starts.tolist()])
    if shifts is not None:
        rows = torch.stack([transpose(w, k) for w, k in zip(rows, shifts.tolist())])
    return rows[:, :-1], rows[:, 1:]


def window_order(data: torch.Tensor, batch_size: int, block: int, seed: int) -> BatchOrder:
    """Window starts drawn independently each step (the corpus holds far more windows than a run sees)."""
    return BatchOrder(len(data) - block - 1, batch_size, seed, replacement=True)


@torch.no_grad()
def validation_loss(model: MusicGPT, data: torch.Tensor, block: int, batches: int = 20) -> float:
    model.eval()
    order = window_order(data, 8, block, seed=1234)  # the same windows at every evaluation
    losses = [model(*windows(data, order(), block))[1].item() for _ in range(batches)]
    model.train()
    return float(np.mean(losses))


# -- the loop -------------------------------------------------------------------------------------------
def cosine_schedule(optimizer: torch.optim.Optimizer, warmup: int, total: int):
    """Linear warm-up to the peak over `warmup` steps, then a cosine down to a tenth of it at `total`
    (transformers' cosine with a floor). Built at step 0 so that iteration i trains at the schedule's
    step i, the first at peak / warmup rather than 0; such a schedule reads its peak from "initial_lr"."""
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"]
    return get_cosine_with_min_lr_schedule_with_warmup(optimizer, warmup, total, min_lr_rate=0.1, last_epoch=0)


class MusicTrainer:
    """The model, its optimiser and schedule, the window order and the history: `state_dict()` holds
    everything `run` needs to continue exactly where it stopped (dropout draws from torch's global RNG,
    which the state keeps too)."""

    def __init__(self, model: MusicGPT, train_data: torch.Tensor, val_data: torch.Tensor, block: int, config: TrainConfig) -> None:
        self.model, self.train_data, self.val_data, self.block, self.config = model, train_data, val_data, block, config
        decay = [p for p in model.parameters() if p.dim() >= 2]  # weight decay on matrices only, as nanoGPT
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                           lr=config.lr, betas=(0.9, 0.95))
        self.schedule = cosine_schedule(self.optimizer, min(100, config.iterations // 10), config.iterations)
        self.order = window_order(train_data, config.batch_size, block, config.seed)
        self.history: list[dict[str, float]] = []
        self.step, self.seconds = 0, 0.0

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        starts = self.order()
        shifts = None
        if self.config.transpose:  # drawn after the starts, from the same generator
            shifts = torch.randint(-self.config.transpose, self.config.transpose + 1, starts.shape, generator=self.order.generator)
        return windows(self.train_data, starts, self.block, shifts)

    def run(self, save_every: int = 0, on_save: Optional[Callable[[], None]] = None) -> "MusicTrainer":
        """Train up to config.iterations, printing each history row; `on_save()` every `save_every` and at the end."""
        start, last = time.time() - self.seconds, self.config.iterations
        self.model.train()
        while self.step < last:
            lr = self.schedule.get_last_lr()[0]
            _, loss, _ = self.model(*self.next_batch())
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.schedule.step()
            self.step += 1
            self.seconds = time.time() - start
            if due(self.step, self.config.eval_every, last):
                self.history.append({"iteration": self.step, "seconds": round(self.seconds, 1), "train_loss": round(loss.item(), 4),
                                     "val_loss": round(validation_loss(self.model, self.val_data, self.block), 4), "lr": round(lr, 6)})
                print(json.dumps(self.history[-1]), flush=True)
            if on_save and due(self.step, save_every, last):
                on_save()
        return self

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "schedule": self.schedule.state_dict(),
                "order": self.order.state_dict(), "history": list(self.history), "step": self.step, "seconds": self.seconds,
                "torch_rng": torch.get_rng_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"]), self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"]), self.order.load_state_dict(state["order"])
        self.history, self.step, self.seconds = list(state["history"]), state["step"], state["seconds"]
        torch.set_rng_state(state["torch_rng"])


def train(config: TrainConfig, corpus: Path = CORPUS_DIR, state: Optional[Path] = None, resume: bool = False) -> tuple[MusicGPT, dict]:
    """(the trained model in eval mode, its training record)."""
    seed_everything(config.seed, config.threads)
    train_data, val_data = load_tokens(corpus, config.mood, "train"), load_tokens(corpus, config.mood, "val")
    block = min(config.block_size, len(val_data) - 2, len(train_data) - 2)  # a tiny corpus: shorter windows
    model = MusicGPT(config.model_config())
    trainer = MusicTrainer(model, train_data, val_data, block, config)
    trainer.run(config.save_every, state_saver(trainer, state, recipe(config, RESUMABLE_CHANGES), resume))

    record = training_record(config, trainer.seconds, trainer.history, mood=config.mood, iterations=config.iterations,
                             tokens_seen=config.iterations * config.batch_size * block, train_tokens=len(train_data),
                             val_tokens=len(val_data), val_loss=trainer.history[-1]["val_loss"], corpus=str(corpus))
    return model.eval(), record


def main(argv: list[str] | None = None) -> dict:
    """Train and write the checkpoint folder (default: GS_MUSIC_MODELS/<mood>); returns the record."""
    config, args = parse_args(argv)
    model, record = train(config, args.corpus, args.state, args.resume)
    save_model(args.out or Path(get_settings().music_models) / config.mood, model, {"mood": config.mood, "license": LICENSE}, record)
    print(f"{record['mood']}: {record['tokens_seen']} tokens seen, validation loss {record['val_loss']}")
    return record


if __name__ == "__main__":
    main()
