"""Train a harmony model (alto, tenor and bass under a given soprano) on the four-voice corpus.

    python -m pipelines.text_to_music.harmony.data                       # the corpus, once (a few CPU minutes)
    python -m pipelines.text_to_music.harmony.train --arch ar --iterations 3000 --seed 0 [--state PATH [--resume]]

Trains on random windows of the training pieces, each moved to a random key (every shift that keeps the
four voices in range), with AdamW and a cosine schedule; every --eval-every steps it scores the held-out
chorales (never trained on): the negative log-likelihood per cell of the lower voices (exact for `ar`; for
`coconet` with all three hidden at once) and the share of cells whose likeliest pitch is Bach's. Writes the
checkpoint folder (float16 safetensors, config.json, training_record.json). Reproducible from --seed on CPU.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.training import (LossLog, add_state_options, due, lr_schedule, parse_config, recipe, seed_everything,
                                       state_saver, training_record)
from pipelines.text_to_music.harmony.data import CORPUS_FILE, HarmonyCorpus
from pipelines.text_to_music.harmony.model import HIGH, LOW, HarmonyConfig, build_model, to_tokens

DEFAULT_OUT = Path("assets/music/harmony")


@dataclass(frozen=True)
class TrainConfig(HarmonyConfig):
    iterations: int = 3000  # optimiser steps; the cosine schedule spans them
    batch_size: int = 32  # windows per step
    window: int = 64  # eighths per window (eight bars of 4/4)
    lr: float = 2e-3  # AdamW's peak learning rate, after a warm-up of a twentieth of the run
    bach_share: float = 0.5  # share of windows drawn from Bach's chorales (the rest: Palestrina, Monteverdi, quartets)
    seed: int = 0  # seeds the weights, dropout, windows and keys
    threads: int = 1  # torch threads (part of what makes a run reproducible)
    log_every: int = 100  # steps between rows of the training loss in the record
    eval_every: int = 500  # steps between scores on the held-out chorales
    save_every: int = 500  # steps between saved training states (with --state)

    def model_config(self) -> HarmonyConfig:
        return HarmonyConfig(**{f.name: getattr(self, f.name) for f in fields(HarmonyConfig)})


def transposed_window(piece: tuple[np.ndarray, np.ndarray], window: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A random window of `piece` (voices [4, steps], positions [steps]) in a random key that keeps it in range."""
    voices, positions = piece
    start = int(torch.randint(max(len(positions) - window, 0) + 1, (1,), generator=generator))
    v = torch.from_numpy(voices[:, start:start + window]).long()
    p = torch.from_numpy(positions[start:start + window]).long()
    sounding = v[v > 0]
    low, high = (int(sounding.min()), int(sounding.max())) if len(sounding) else (60, 60)
    shifts = [s for s in range(-6, 6) if low + s >= LOW and high + s <= HIGH] or [0]
    shift = shifts[int(torch.randint(len(shifts), (1,), generator=generator))]
    v = torch.where(v > 0, v + shift, v)
    if v.shape[1] < window:  # a short piece: rests after it (the loss skips nothing; rests are learnt as rests)
        v, p = F.pad(v, (0, window - v.shape[1])), F.pad(p, (0, window - p.shape[0]))
    return to_tokens(v).T, p  # [window, 4], [window]


def batch_of(corpus: HarmonyCorpus, config: TrainConfig, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows from Bach's chorales (a `bach_share` of them) and from the other pieces, each in a random key."""
    groups = [[i for i, bach in enumerate(corpus.train_is_bach) if bach == b] for b in (True, False)]
    groups = [g for g in groups if g] or [list(range(len(corpus.train)))]
    rows = []
    for _ in range(config.batch_size):
        group = groups[0] if len(groups) == 1 or float(torch.rand((), generator=generator)) < config.bach_share else groups[1]
        piece = corpus.train[group[int(torch.randint(len(group), (1,), generator=generator))]]
        rows.append(transposed_window(piece, config.window, generator))
    return torch.stack([r[0] for r in rows]), torch.stack([r[1] for r in rows])


def losses(model, voices: torch.Tensor, positions: torch.Tensor, generator: torch.Generator | None = None,
           share: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean cross-entropy, share of likeliest-pitch hits) over the lower voices' cells that were predicted.
    Coconet hides a random share of them (per window, uniform in 0…1; `share` fixes it; 1 hides all)."""
    lower = voices[..., 1:]
    if model.config.arch == "ar":
        logits, scored = model(voices[..., 0], positions, lower), torch.ones_like(lower, dtype=torch.bool)
    else:
        if share is None:
            share = torch.rand((voices.shape[0], 1, 1), generator=generator)
        scored = torch.rand(lower.shape, generator=generator) < share
        hidden = torch.cat([torch.zeros_like(scored[..., :1]), scored], -1)
        logits = model(voices, positions, hidden)[..., 1:, :]
    loss = F.cross_entropy(logits[scored], lower[scored])
    accuracy = (logits.argmax(-1)[scored] == lower[scored]).float().mean()
    return loss, accuracy


@torch.no_grad()
def held_out_scores(model, corpus: HarmonyCorpus) -> dict[str, float]:
    """NLL per cell and likeliest-pitch accuracy on the held-out chorales, in their own keys, whole."""
    model.eval()
    total_loss = total_hits = cells = 0.0
    for voices, positions in corpus.held_out:
        v = to_tokens(torch.from_numpy(voices)).T.unsqueeze(0)
        loss, accuracy = losses(model, v, torch.from_numpy(positions).unsqueeze(0), torch.Generator().manual_seed(0), share=1.0)
        n = v.shape[1] * 3
        total_loss, total_hits, cells = total_loss + loss.item() * n, total_hits + accuracy.item() * n, cells + n
    model.train()
    return {"held_out_nll": round(total_loss / cells, 4), "held_out_accuracy": round(total_hits / cells, 4)}


def train(config: TrainConfig, corpus: HarmonyCorpus, out: Path, state: Path | None = None, resume: bool = False) -> Path:
    seed_everything(config.seed, config.threads)
    model = build_model(config.model_config())
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    schedule = lr_schedule(optimizer, "cosine", warmup=max(config.iterations // 20, 1), total=config.iterations)
    generator = torch.Generator().manual_seed(config.seed)
    log, scores = LossLog(config.log_every), []
    trainer = Trainer(model, optimizer, schedule, generator, log, scores)
    save = state_saver(trainer, state, recipe(config, ("threads", "save_every", "log_every", "eval_every")), resume)
    start = time.perf_counter() - trainer.seconds
    for step in range(trainer.step + 1, config.iterations + 1):
        loss, accuracy = losses(model, *batch_of(corpus, config, generator), generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        trainer.step, trainer.seconds = step, time.perf_counter() - start
        row = log.add(step, trainer.seconds, {"loss": loss.item(), "accuracy": accuracy.item()}, last=step == config.iterations)
        if row:
            print(row, flush=True)
        if due(step, config.eval_every, config.iterations):
            scores.append({"iteration": step, **held_out_scores(model, corpus)})
            print(scores[-1], flush=True)
        if save and due(step, config.save_every, config.iterations):
            save()
    record = training_record(config, trainer.seconds, log.rows, dataset="music21 corpus: Bach chorales (a tenth held out), "
                             "Palestrina, Monteverdi, string quartets; four voices on an eighth-note grid, every key",
                             held_out=scores[-1] if scores else {}, held_out_history=scores)
    return save_checkpoint(out, model, config.model_config(), record, info={"name": f"harmony-{config.arch}"}, half=True)


@dataclass
class Trainer:
    """What a resumed run needs besides its options (torch's global RNG, for dropout, too)."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    schedule: object
    generator: torch.Generator
    log: LossLog
    scores: list
    step: int = 0
    seconds: float = 0.0

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "schedule": self.schedule.state_dict(),
                "generator": self.generator.get_state(), "rng": torch.get_rng_state(), "log": self.log.state_dict(),
                "scores": list(self.scores), "step": self.step, "seconds": self.seconds}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["rng"])
        self.log.load_state_dict(state["log"])
        self.scores[:] = state["scores"]
        self.step, self.seconds = state["step"], state["seconds"]


def main(argv: list[str] | None = None) -> Path:
    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--corpus", type=Path, default=CORPUS_FILE, help=f"the corpus file (default: {CORPUS_FILE})")
        parser.add_argument("--out", type=Path, default=None, help=f"checkpoint folder (default: {DEFAULT_OUT}/<arch>)")
        add_state_options(parser)

    config, args = parse_config(TrainConfig, argv, __doc__, extra)
    return train(config, HarmonyCorpus.load(args.corpus), args.out or DEFAULT_OUT / config.arch, args.state, args.resume)


if __name__ == "__main__":
    main()
