"""Process-wide torch settings, applied once before the first model loads."""

from __future__ import annotations

from functools import lru_cache

import torch

from .config import get_settings


@lru_cache(maxsize=1)
def configure_torch() -> None:
    torch.set_num_threads(get_settings().torch_threads)


def get_device() -> torch.device:
    wanted = get_settings().device
    if wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")
