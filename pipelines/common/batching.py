"""Requests that can share a forward pass run together: a small queue in front of one model.

    batcher = MicroBatcher(run_together, max_size=32, wait=0.01)
    result = batcher.submit(key, item, size=4, progress=progress)   # from any request's thread; blocks

A worker thread takes the oldest waiting request, every other waiting request with the same `key` (what must be
equal to share a pass: steps, size, …) up to `max_size` in all (`size` counts a request's images or pieces), and
calls `run_together(key, jobs)` once; each caller gets its own result back, or its own error. With `workers` > 1
(GS_MODEL_WORKERS) as many passes run at once, each in its own thread: on a CPU with one torch thread a pass, that
is what puts a second core to work (measured: two workers drew 28 images/s where one drew 15).

- Fair: the oldest request always leads the next batch, whatever its key, so no group waits behind another for
  long: a request waits only for the passes of requests older than it (and shares theirs where it can).
- A short collecting window (`wait`, from the first request's arrival) lets requests that arrive together (Gradio
  starts them a few milliseconds apart) share a pass; requests arriving while a batch runs form the next one.
- Progress and cancellation stay in the caller's thread: the worker records each job's progress, the caller
  reports it with its own callback (Gradio's progress and its "client gone" check read the caller's context, which
  another thread does not have) and marks its job cancelled when that callback raises; `run_together` skips
  cancelled jobs where it can (`Job.cancelled`, `Cancelled`).
- `run_together` may run in several workers at once: what a pass changes (a diffusers pipeline's scheduler) must
  be the worker's own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Optional, Sequence

from pipelines.common.progress import ProgressFn

log = logging.getLogger("generative_studio")
POLL = 0.05  # seconds between a waiting caller's looks at its job's progress


class Cancelled(Exception):
    """Raised inside `run_together` (by `report_all`, or itself) when every job of its batch was cancelled."""


@dataclass(eq=False)
class Job:
    """One request waiting for, or inside, a batch. `run_together` reads `item` and calls `report`."""

    key: Hashable
    item: Any
    size: int
    arrived: float = field(default_factory=time.monotonic)
    progress: Optional[tuple[float, Any]] = None  # the latest (fraction, description) the worker recorded
    cancelled: bool = False  # the caller's progress callback raised (its client went away)
    result: Any = None
    error: Optional[BaseException] = None
    done: threading.Event = field(default_factory=threading.Event)

    def report(self, fraction: float, description: Any = "") -> None:
        self.progress = (fraction, description)


def report_all(jobs: Sequence[Job], fraction: float, description: Any = "") -> None:
    """Record progress for every job of a batch; raise Cancelled when none of them is wanted any more."""
    for job in jobs:
        job.report(fraction, description)
    if all(job.cancelled for job in jobs):
        raise Cancelled


class MicroBatcher:
    """A queue and `workers` worker threads in front of a model (see the module's docstring)."""

    def __init__(self, run_together: Callable[[Hashable, list[Job]], list[Any]], max_size: int = 32,
                 wait: float = 0.01, name: str = "model", workers: int = 1) -> None:
        self.run_together, self.max_size, self.wait, self.name = run_together, max(1, max_size), wait, name
        self.workers = max(1, workers)
        self._pending: deque[Job] = deque()
        self._ready = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers looking for a batch
        self.batches = 0  # batches run, and the jobs in them: what the tests and the benchmark read
        self.jobs = 0

    def submit(self, key: Hashable, item: Any, size: int = 1, progress: Optional[ProgressFn] = None) -> Any:
        """Run `item` in the next batch of its `key`; its result (or its error), in the calling thread."""
        job = Job(key, item, size)
        with self._ready:
            self._pending.append(job)
            self._threads = [thread for thread in self._threads if thread.is_alive()]
            while len(self._threads) < self.workers:
                self._threads.append(threading.Thread(target=self._work, daemon=True,
                                                      name=f"batch-{self.name}-{len(self._threads)}"))
                self._threads[-1].start()
            self._ready.notify_all()
        shown = None
        while not job.done.wait(POLL if progress is not None else None):
            if job.progress is not None and job.progress is not shown:
                shown = job.progress
                try:
                    progress(*shown)
                except BaseException:  # the client has gone (or the callback failed): the batch need not wait for it
                    job.cancelled = True
                    raise
        if job.error is not None:
            raise job.error
        return job.result

    # -- the worker ------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                results = self.run_together(batch[0].key, batch)
                for job, result in zip(batch, results, strict=True):  # an exception as a result is that job's alone
                    if isinstance(result, BaseException):
                        job.error = result
                    else:
                        job.result = result
            except BaseException as exc:  # noqa: BLE001 — every caller of the batch hears of it, the worker lives on
                if not isinstance(exc, (Cancelled, ValueError)):
                    log.warning("a batch of %d on the %s failed: %s: %s", len(batch), self.name, type(exc).__name__,
                                exc)
                for job in batch:
                    job.error = exc
            for job in batch:
                job.done.set()

    def _next_batch(self) -> list[Job]:
        """The oldest wanted job and, after the collecting window, the waiting jobs of its key that fit: all of them
        up to max_size, or, while other workers are idle too, this worker's even share (the passes then run at once,
        each on a core of its own)."""
        with self._ready:
            self._idle += 1
            while True:
                while self._pending and self._pending[0].cancelled:  # gone before their turn
                    self._pending.popleft().done.set()
                if not self._pending:
                    self._ready.wait()
                    continue
                first = self._pending[0]
                while self._room(first) > 0 and (left := first.arrived + self.wait - time.monotonic()) > 0:
                    self._ready.wait(left)
                if not self._pending or self._pending[0] is not first:  # another worker took it meanwhile
                    continue
                waiting = self.max_size - self._room(first)
                cap = min(self.max_size, max(first.size, -(-waiting // self._idle)))
                batch, used = [], 0
                for job in list(self._pending):
                    if job.key == first.key and not job.cancelled and (not batch or used + job.size <= cap):
                        batch.append(job)
                        used += job.size
                        self._pending.remove(job)
                if batch:  # else its whole group was cancelled while it waited: look again
                    self._idle -= 1
                    self.batches, self.jobs = self.batches + 1, self.jobs + len(batch)
                    return batch

    def _room(self, first: Job) -> int:
        """How many more images (or pieces) the batch `first` leads could take now."""
        return self.max_size - sum(job.size for job in self._pending if job.key == first.key and not job.cancelled)


def in_groups(keys: Sequence[Hashable], sizes: Sequence[int], max_size: int) -> list[list[int]]:
    """Indices of items grouped by key (groups in the order of their first item), each group cut where its sizes
    would pass `max_size` (an item larger than that goes alone): how a Ray Serve batch is split into passes."""
    groups: list[list[int]] = []
    open_groups: dict[Hashable, tuple[list[int], int]] = {}
    for i, (key, size) in enumerate(zip(keys, sizes)):
        members, used = open_groups.get(key, (None, 0))
        if members is None or used + size > max_size:
            members, used = [], 0
            groups.append(members)
        members.append(i)
        open_groups[key] = (members, used + size)
    return groups
