"""How hard are the quiz's fakes? Raw DigiFace (through the same crop/grayscale/downsample) vs adapted.

    .venv/bin/python -m bench.face_quiz

For each generator: a small CNN's real-vs-fake accuracy on held-out faces (36 held-out real
photos vs 36 fresh fakes, trained on the 64 training photos vs 64 fakes; mean ± std over 5
repeats; 50 % means it cannot tell), KID on pixels (100 real photos vs 300 fakes), the
near-copy check, and the time of one quiz round.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from pipelines.common.config import ASSETS_DIR, get_settings
from pipelines.face_quiz.data import held_out_faces, real_faces, train_faces
from pipelines.face_quiz.domain import QuizDomain
from pipelines.face_quiz.fakes import FakeFaces
from pipelines.face_quiz.metrics import classifier_accuracy, kid
from pipelines.face_quiz.pipeline import RoundRequest, load_quiz
from pipelines.common.dcgan.model import load_generator

REPEATS = 5


def evaluate(name: str, fakes: FakeFaces) -> None:
    accuracies = []
    for r in range(REPEATS):
        base = 100_000 + 1_000 * r
        fake_train = fakes.render(list(range(base, base + 64)))
        fake_test = fakes.render(list(range(base + 500, base + 536)))
        accuracies.append(classifier_accuracy(train_faces(), fake_train, held_out_faces(), fake_test, seed=r))
    kid_mean, kid_std = kid(real_faces(), fakes.render(list(range(200_000, 200_300))), subset_size=50)
    pool = fakes.build_pool(512)
    print(
        f"{name:<26} classifier {100 * statistics.mean(accuracies):5.1f} % ± {100 * statistics.pstdev(accuracies):4.1f} | "
        f"KID(pixels) {kid_mean:.4f} ± {kid_std:.4f} | near-copies {pool.rejected}/512 "
        f"(threshold {pool.threshold:.3f}, nearest real: min {min(pool.nearest_real):.3f}, median {np.median(pool.nearest_real):.3f})"
    )


def main() -> None:
    raw, _ = load_generator(ASSETS_DIR / "latent" / "digiface_dcgan")
    evaluate("DigiFace raw (downsampled)", FakeFaces(raw, QuizDomain()))
    evaluate("adapted (shipped)", FakeFaces.from_checkpoint(get_settings().quiz_generator))
    real_kid, _ = kid(held_out_faces(), train_faces(), subset_size=32)
    print(f"reference: KID(pixels) between the two halves of the real photos {real_kid:.4f}")
    start = time.perf_counter()
    quiz = load_quiz()
    print(f"quiz first use (load + near-copy pool): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    for _ in range(20):
        quiz.new_round(RoundRequest("pair"))
    print(f"one pair round: {(time.perf_counter() - start) / 20 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
