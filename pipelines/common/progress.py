"""The progress callback every pipeline accepts: `progress(fraction, description)`."""

from __future__ import annotations

from typing import Callable, Optional

from pipelines.common.validation import Notice

ProgressFn = Callable[[float, str], None]
DONE = Notice("progress.done", "done", "완료")  # the last report of every pipeline's long action


def no_progress(fraction: float, description: str = "") -> None:
    """The default callback: report nothing."""


def report(progress: Optional[ProgressFn], fraction: float, description: str = "") -> None:
    (progress or no_progress)(min(max(fraction, 0.0), 1.0), description)
