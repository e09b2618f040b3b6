"""`@gpu`: ZeroGPU's `spaces.GPU` on a ZeroGPU Space, a no-op everywhere else."""

from __future__ import annotations

import os
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def on_zero_gpu() -> bool:
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "true")


def gpu(fn: F | None = None, *, duration: int = 60):
    """Decorate work that wants a GPU. Usable as `@gpu` or `@gpu(duration=120)`."""

    def wrap(f: F) -> F:
        if not on_zero_gpu():
            return f
        import spaces  # installed on ZeroGPU Spaces only

        return spaces.GPU(duration=duration)(f)

    return wrap(fn) if fn is not None else wrap
