"""Seeds: validation at the boundary, fresh random seeds, reproducible generators."""

from __future__ import annotations

import random
import re
from numbers import Integral, Real
from typing import Any

import torch

MAX_SEED = 2**32 - 1


def check_seed(seed: Any, name: str = "seed") -> int:
    """Return `seed` as an int in [0, MAX_SEED], or raise ValueError quoting it.

    Whole floats (12.0, as JSON clients send) are accepted; 1.5, "abc", True are not.
    """
    if isinstance(seed, bool):
        raise ValueError(f"{name} must be a whole number, got {seed!r}")
    if isinstance(seed, Integral):
        value = int(seed)
    elif isinstance(seed, Real) and float(seed).is_integer():
        value = int(seed)
    elif isinstance(seed, str) and seed.strip().lstrip("+").isdigit():
        value = int(seed.strip())
    else:
        raise ValueError(f"{name} must be a whole number, got {seed!r}")
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name} must be between 0 and {MAX_SEED}, got {value}")
    return value


def check_seed_list(seeds: Any, name: str, max_len: int = 64) -> list[int]:
    """A non-empty list of seeds. Also accepts text: "1, 2, 3", "1 2 3" or "[1, 2, 3]"."""
    if isinstance(seeds, str):
        parts = [p for p in re.split(r"[\s,;]+", seeds.strip().strip("[]")) if p]
    elif isinstance(seeds, (list, tuple)):
        parts = list(seeds)
    elif seeds is None:
        parts = []
    else:
        raise ValueError(f"{name} must be a list of seeds, got {seeds!r}")
    if not parts:
        raise ValueError(f"{name} is empty: pick at least one sample for it")
    if len(parts) > max_len:
        raise ValueError(f"{name} has {len(parts)} seeds; at most {max_len} are allowed")
    return [check_seed(p, name=f"{name} entry") for p in parts]


def random_seed() -> int:
    """A fresh seed for "random": always shown to the user so the result can be reproduced."""
    return random.SystemRandom().randint(0, MAX_SEED)


def cpu_generator(seed: int) -> torch.Generator:
    """A CPU generator: the same seed gives the same numbers on every device."""
    return torch.Generator(device="cpu").manual_seed(seed)
