"""How well the harmony models write alto, tenor and bass under Bach's own sopranos, on the held-out chorales.

    python -m bench.harmony [--models assets/music/harmony data/harmony/coconet] [--corpus data/text_to_music/harmony_corpus.npz]

For each harmoniser (each model folder given, the I–IV–V rule baseline, and Bach himself) it prints:
- accuracy: the share of eighth-note cells whose pitch is Bach's, per voice (a model at temperature 0);
- NLL: negative log-likelihood per cell of Bach's lower voices (exact for the autoregressive model; for
  Coconet, each cell given the soprano alone, which is not the same quantity and is marked so);
- parallel fifths and octaves per 10 bars (any two voices moving in the same direction into a fifth
  or an octave they already formed), and the share of consonant soprano–bass intervals on the beats;
- "which is Bach's?": a small classifier trained here on Bach's chorales against the harmoniser's own, on
  the training melodies, then tested on the held-out ones (50 % means it cannot tell them apart).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from pipelines.common.checkpoint import load_checkpoint
from pipelines.text_to_music.harmony.data import CORPUS_FILE, HarmonyCorpus
from pipelines.text_to_music.harmony.model import HarmonyConfig, build_model, to_pitches, to_tokens
from pipelines.text_to_music.harmony.rules import harmonize_by_rules
from pipelines.text_to_music.harmony.train import held_out_scores

CONSONANT = {0, 3, 4, 7, 8, 9}  # unison/octave, thirds, fifth, sixths (mod 12)
STEPS_PER_BAR = 8


def parallels(voices: np.ndarray) -> int:
    """Consecutive fifths and octaves between any two voices ([4, steps], MIDI, 0 = rest)."""
    count = 0
    changes = [t for t in range(1, voices.shape[1]) if (voices[:, t] != voices[:, t - 1]).any()]
    for t in changes:
        before, now = voices[:, t - 1], voices[:, t]
        for a in range(4):
            for b in range(a + 1, 4):
                if min(before[a], before[b], now[a], now[b]) == 0 or before[a] == now[a]:
                    continue
                same = (before[a] - before[b]) % 12 == (now[a] - now[b]) % 12 in (0, 7)
                if same and np.sign(now[a] - before[a]) == np.sign(now[b] - before[b]):
                    count += 1
    return count


def consonant_share(voices: np.ndarray, positions: np.ndarray) -> float:
    beats = [t for t in range(voices.shape[1]) if positions[t] % 2 == 0 and voices[0, t] and voices[3, t]]
    return float(np.mean([(voices[0, t] - voices[3, t]) % 12 in CONSONANT for t in beats])) if beats else 0.0


def harmonise_all(harmoniser, pieces) -> list[np.ndarray]:
    return [np.concatenate([v[:1], harmoniser(v[0], p).T]) for v, p in pieces]


def model_harmoniser(model, **options):
    def run(melody: np.ndarray, positions: np.ndarray) -> np.ndarray:
        tokens = model.sample(to_tokens(torch.from_numpy(melody)).unsqueeze(0), torch.from_numpy(positions).unsqueeze(0),
                              torch.Generator().manual_seed(0), temperature=0.0, **options)
        return to_pitches(tokens[0]).numpy()
    return run


class BachOrNot(nn.Module):
    """Reads windows of four voices (each lower voice as its interval under the soprano) and says whether Bach wrote them."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(3 * 38, 64, 3, padding=1), nn.ReLU(), nn.Conv1d(64, 64, 3, padding=1), nn.ReLU(),
                                 nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    @staticmethod
    def features(voices: np.ndarray, window: int = 16) -> torch.Tensor:
        below = np.clip(voices[:1] - voices[1:], -1, 36)  # interval under the soprano; -1: a rest or a crossing
        below[voices[1:] == 0] = -1
        onehot = F.one_hot(torch.from_numpy(below + 1).long(), 38).permute(0, 2, 1).reshape(3 * 38, -1).float()
        starts = range(0, max(voices.shape[1] - window, 0) + 1, window // 2)
        return torch.stack([onehot[:, s:s + window] for s in starts if onehot[:, s:s + window].shape[1] == window])


def bach_or_not(bach_train, fake_train, bach_test, fake_test, steps: int = 400) -> float:
    """Held-out accuracy of a classifier trained to tell Bach's harmonisations from the harmoniser's."""
    torch.manual_seed(0)
    x = torch.cat([torch.cat([BachOrNot.features(v) for v in group]) for group in (bach_train, fake_train)])
    y = torch.cat([torch.ones(sum(len(BachOrNot.features(v)) for v in bach_train)), torch.zeros(sum(len(BachOrNot.features(v)) for v in fake_train))])
    model = BachOrNot()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(steps):
        batch = torch.randint(len(x), (64,))
        loss = F.binary_cross_entropy_with_logits(model(x[batch]).squeeze(1), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        right = [((model(BachOrNot.features(v)).squeeze(1) > 0).float() == label).float().mean().item()
                 for group, label in ((bach_test, 1.0), (fake_test, 0.0)) for v in group]
    return float(np.mean(right))


def measure(name: str, harmonised: list[np.ndarray], corpus: HarmonyCorpus, train_fakes, train_bach, nll: str) -> dict:
    bach = [v for v, _ in corpus.held_out]
    cells = [(h[1:] == b[1:]) for h, b in zip(harmonised, bach)]
    accuracy = [float(np.mean(np.concatenate([c[v] for c in cells]))) for v in range(3)]
    bars = sum(v.shape[1] for v in bach) / STEPS_PER_BAR
    row = {"harmoniser": name, "alto %": 100 * accuracy[0], "tenor %": 100 * accuracy[1], "bass %": 100 * accuracy[2],
           "NLL/cell": nll, "parallels /10 bars": 10 * sum(parallels(h) for h in harmonised) / bars,
           "consonant beats %": 100 * np.mean([consonant_share(h, p) for h, (_, p) in zip(harmonised, corpus.held_out)])}
    if train_fakes is not None:
        row["Bach-or-not %"] = 100 * bach_or_not(train_bach, train_fakes, bach, harmonised)
    return row


def model_rows(folder: Path, corpus: HarmonyCorpus, train_pieces, bach_train) -> list[dict]:
    """A model's rows: the autoregressive one as trained ("free") and as the app samples it (no parallels)."""
    model, config, _ = load_checkpoint(folder, build_model, HarmonyConfig)
    scores = held_out_scores(model, corpus)
    nll = f"{scores['held_out_nll']:.3f}" + ("" if config.arch == "ar" else " (each cell alone)")
    variants = [("free", {"strict": False}), ("no parallels (the app)", {"strict": True})] if config.arch == "ar" else [("", {})]
    rows = []
    for name, options in variants:
        start = time.perf_counter()
        harmonised = harmonise_all(model_harmoniser(model, **options), corpus.held_out)
        seconds = (time.perf_counter() - start) / len(corpus.held_out)
        fakes = harmonise_all(model_harmoniser(model, **options), train_pieces)
        row = measure(f"{config.arch} {name}".strip(), harmonised, corpus, fakes, bach_train, nll)
        rows.append({**row, "s/chorale": seconds})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", type=Path, default=[Path("assets/music/harmony")])
    parser.add_argument("--corpus", type=Path, default=CORPUS_FILE)
    parser.add_argument("--train-melodies", type=int, default=120, help="training chorales harmonised for the classifier")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    corpus = HarmonyCorpus.load(args.corpus)
    bach_train = [v for v, _ in corpus.train if v.shape[1] <= 200][: args.train_melodies]  # chorale-length pieces
    train_pieces = [(v, p) for v, p in corpus.train if v.shape[1] <= 200][: args.train_melodies]
    rows = [measure("Bach", [v for v, _ in corpus.held_out], corpus, None, None, "—")]
    rule = lambda melody, positions: harmonize_by_rules(melody)  # noqa: E731
    rows.append(measure("rules (I–IV–V)", harmonise_all(rule, corpus.held_out), corpus, harmonise_all(rule, train_pieces), bach_train, "—"))
    for folder in args.models:
        rows += model_rows(folder, corpus, train_pieces, bach_train)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    print(f"{len(corpus.held_out)} held-out chorales, {sum(v.shape[1] for v, _ in corpus.held_out) / STEPS_PER_BAR:.0f} bars")
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.1f}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in columns) + " |")


if __name__ == "__main__":
    main()
