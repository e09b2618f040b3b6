"""Work that holds the GIL, run in worker processes so that requests made at once use every core.

    result = worker_processes.run(perform, piece, melody, how, folder)   # from any request's thread; blocks

Threads share one interpreter: a Python-heavy step (a small model sampled step by step, a synthesizer, an encoder,
drawing) runs one thread at a time, whatever the cores. `run` sends the call to one of `os.cpu_count()` processes
and waits for its result; the arguments and the result travel pickled, so keep them small (paths, notes, settings).

- The workers are forked from a fork server that imports the modules named in PRELOAD and nothing of the app
  (forking the app itself would copy its threads mid-lock); each loads what it needs on first use, as the app does,
  with the app's environment (GS_* settings) as it was at the first call.
- A pool that breaks (a worker killed) is replaced on the next call; the call that met it runs in this process,
  as does every call where no process can be started. Nothing fails because a worker did.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import threading
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Optional, TypeVar

log = logging.getLogger("generative_studio")
T = TypeVar("T")
PRELOAD = ["torch", "numpy", "PIL.Image"]  # imported once by the fork server, so each worker starts in milliseconds


class WorkerProcesses:
    """A lazily started process pool with an in-process fallback (see the module's docstring)."""

    def __init__(self, processes: Optional[int] = None) -> None:
        self.processes = processes or os.cpu_count() or 1
        self._pool: Optional[concurrent.futures.ProcessPoolExecutor] = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._pool = concurrent.futures.ProcessPoolExecutor(self.processes, mp_context=context)
            return self._pool

    def run(self, fn: Callable[..., T], *args) -> T:
        """`fn(*args)` in a worker process (`fn` importable by name), or here where the pool cannot run it. An
        exception `fn` raises reaches the caller either way."""
        pool = None
        try:
            pool = self._executor()
            future = pool.submit(fn, *args)
        except (BrokenProcessPool, OSError, ValueError, RuntimeError) as exc:  # no processes (or no fork server)
            return self._here(pool, exc, fn, *args)
        try:
            return future.result()
        except BrokenProcessPool as exc:  # its worker was killed
            return self._here(pool, exc, fn, *args)

    def _here(self, pool, exc: BaseException, fn: Callable[..., T], *args) -> T:
        log.warning("running %s in this process: the worker processes failed (%s: %s)", fn.__name__,
                    type(exc).__name__, exc)
        with self._lock:
            if pool is not None and self._pool is pool:  # the next call starts a new pool
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
        return fn(*args)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


worker_processes = WorkerProcesses()  # one pool per app process, started by the first call
