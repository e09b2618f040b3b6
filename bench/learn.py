"""How models learn benchmark: the measured comparison on both datasets, and live training.

    .venv/bin/python -m bench.learn                  # both parts (about 15 minutes on a busy 2-core machine)
    .venv/bin/python -m bench.learn --live-seconds 0 # the comparison tables only

1. For each dataset, every family's shipped model: training CPU seconds (from its record),
   samples per second, and the measures of 250 samples (pipelines/learn/metrics.py), beside
   250 held-out real images; then where the opinion slide agrees with the measurements.
2. Live training on MNIST (the "Train it yourself" path, in-process): seconds from Train to the
   first sample grid, the interval between grids, and the quality each family reaches after
   --live-seconds of training CPU time (one thread).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from pipelines.learn import pipeline as learn  # noqa: E402
from pipelines.learn import live  # noqa: E402
from pipelines.learn.data import DATASETS  # noqa: E402
from pipelines.learn.families import FAMILIES  # noqa: E402

HEADER = "| family | training CPU s | samples/s | sure % | Fréchet ↓ | class entropy | recall | nearest train (test's) |"


def measures_cells(m: learn.Measures) -> str:
    return (f"{100 * m.confident:.0f} | {m.frechet:.1f} | {m.class_entropy:.2f} | {m.recall:.2f} | "
            f"{m.nearest_train:.3f} ({m.test_nearest_train:.3f})")


def comparison(dataset: str) -> None:
    start = time.perf_counter()
    result = learn.get_pipeline().compare(learn.CompareRequest(dataset, 0))
    print(f"\n### {dataset} (seed 0, {learn.MEASURED} samples a family; {time.perf_counter() - start:.0f} s for the whole table)\n")
    print(HEADER)
    print("|---|---|---|---|---|---|---|---|")
    for row in result.rows:
        print(f"| {row.family} | {row.training_cpu_seconds:.0f} | {row.samples_per_second:.0f} | {measures_cells(row.measures)} |")
    print(f"| real test images | – | – | {measures_cells(result.real)} |")
    print()
    for sentence in result.verdicts:
        print(f"- {sentence}")


def live_training(family: str, cpu_seconds: float) -> str:
    """Train, then Continue as often as needed (each press is capped at live.TIME_CAP wall seconds,
    which a busy machine reaches before `cpu_seconds` of CPU), until the model has had `cpu_seconds`."""
    session = live.LiveSession()
    request = live.LiveRequest(family, "mnist", steps=live.MAX_LIVE_STEPS)
    start = time.perf_counter()
    arrivals: list[float] = []
    presses = 0
    while presses == 0 or (session.trainer.cpu_seconds < cpu_seconds and update.status == "time limit"):
        presses += 1
        for update in session.train(request, resume=presses > 1):
            arrivals.append(time.perf_counter() - start)
            if update.cpu_seconds >= cpu_seconds:
                session.stop()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    model = session.trainer.finish()
    samples = model.sample(learn.MEASURED, torch.Generator().manual_seed(0))
    m = learn.get_judge("mnist").measure(samples)
    return (f"| {family} | {arrivals[0]:.1f} | {statistics.median(gaps) if gaps else float('nan'):.1f} | "
            f"{session.trainer.step} | {session.trainer.cpu_seconds:.0f} | {time.perf_counter() - start:.0f} | {measures_cells(m)} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--live-seconds", type=float, default=60.0, help="training CPU seconds per family (0: skip)")
    p.add_argument("--dataset", action="append", choices=DATASETS, help="compare only these (default: both)")
    p.add_argument("--skip-compare", action="store_true", help="live training figures only")
    args = p.parse_args()
    torch.set_num_threads(1)
    if not args.skip_compare:
        print("## How models learn: measured comparison")
        for dataset in args.dataset or DATASETS:
            comparison(dataset)
    if args.live_seconds:
        print(f"\n## Live training on MNIST, {args.live_seconds:.0f} s of training CPU time per family (one thread)\n")
        print("| family | s to first grid | s between grids (median) | steps | CPU s | wall s | sure % | Fréchet ↓ | class entropy | recall | nearest train (test's) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for family in FAMILIES:
            print(live_training(family, args.live_seconds), flush=True)


if __name__ == "__main__":
    main()
