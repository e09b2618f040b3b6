"""Seeds: validation at the boundary, fresh random seeds, reproducible generators."""

from __future__ import annotations

import random
from typing import Any

import torch

from pipelines.common.korean import korean_names
from pipelines.common.validation import UserInputError, parse_int, quote, split_list

MAX_SEED = 2**32 - 1
korean_names({"seed": "시드"})


def check_seed(seed: Any, name: str = "seed") -> int:
    """Return `seed` as an int in [0, MAX_SEED], or raise UserInputError quoting it.

    Whole floats (12.0, as JSON clients send) and ASCII digit text are accepted; 1.5, "abc", "١٢٣", True are not.
    The sentence quotes the seed as sent: a 30-digit number typed in the page arrives as a float, and its
    int() would be another number than the one typed.
    """
    value = parse_int(seed, name)
    if not 0 <= value <= MAX_SEED:
        raise UserInputError("seed.range", f"{name} must be from 0 to {MAX_SEED}, got {quote(seed)}",
                             "{name}은(는) 0부터 {high}까지여야 합니다. 받은 값: {value}",
                             name=name, value=quote(seed), high=MAX_SEED)
    return value


def check_seed_list(seeds: Any, name: str, max_len: int = 64) -> list[int]:
    """A non-empty list of seeds. Also accepts text: "1, 2, 3", "1 2 3" or "[1, 2, 3]"."""
    parts = split_list(seeds, name, max_len)
    if not parts:
        raise UserInputError("list.empty", f"{name} is empty: pick at least one sample for it",
                             "{name}이(가) 비어 있습니다. 샘플을 하나 이상 고르세요.", name=name)
    return [check_seed(p, name=f"{name} entry") for p in parts]


def seed_or_random(seed: Any) -> int:
    """-1 (or None) means "random": a fresh seed, which callers always report; else check_seed."""
    if seed is None or (isinstance(seed, (int, float, str)) and not isinstance(seed, bool) and str(seed).strip() in ("-1", "-1.0")):
        return random_seed()
    return check_seed(seed)


def random_seed() -> int:
    """A fresh seed for "random": always shown to the user so the result can be reproduced."""
    return random.SystemRandom().randint(0, MAX_SEED)


def cpu_generator(seed: int) -> torch.Generator:
    """A CPU generator: the same seed gives the same numbers on every device."""
    return torch.Generator(device="cpu").manual_seed(seed)
