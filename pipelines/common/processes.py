"""Work that holds the GIL, run in worker processes so that requests made at once use every core.

    result = worker_processes.run(perform, piece, melody, how, folder)   # from any request's thread; blocks

Threads share one interpreter: a Python-heavy step (a small model sampled step by step, a synthesizer, an encoder,
drawing) runs one thread at a time, whatever the cores. `run` sends the call to one of as many processes as the CPUs
this process may use (at most MAX_PROCESSES) and waits for its result; the arguments and the result travel pickled,
so keep them small (paths, notes, settings).

- The workers are forked from a fork server that imports the modules named in PRELOAD and nothing of the app
  (forking the app itself would copy its threads mid-lock); each loads what it needs on first use, as the app does,
  with the app's environment (GS_* settings) as it was at the first call.
- A worker exits when the app's process does, however it ends (SIGTERM and SIGKILL run no clean-up, and a worker
  would otherwise wait for work forever).
- The app's main script is run again in each worker, as multiprocessing does (named "__mp_main__"): app.py builds
  nothing then.
- A pool that breaks (a worker killed) is replaced on the next call; the call that met it runs in this process,
  as does every call where no process can be started. Nothing fails because a worker did.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Optional, TypeVar

from pipelines.common.config import usable_cpus

log = logging.getLogger("generative_studio")
T = TypeVar("T")
MAX_PROCESSES = 4  # each holds torch and what it loads (about 300 MB): a big host's 64 CPUs would cost 20 GB
PRELOAD = ["torch", "numpy", "PIL.Image"]  # imported once by the fork server, so each worker starts in milliseconds
WATCH_EVERY = 1.0  # seconds between a worker's looks at whether the app is still there


class WorkerProcesses:
    """A lazily started process pool with an in-process fallback (see the module's docstring)."""

    def __init__(self, processes: Optional[int] = None) -> None:
        self.processes = processes or min(MAX_PROCESSES, usable_cpus())
        self._pool: Optional[concurrent.futures.ProcessPoolExecutor] = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._pool = concurrent.futures.ProcessPoolExecutor(self.processes, mp_context=context,
                                                                    initializer=exit_with_the_app, initargs=(os.getpid(),))
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


def exit_with_the_app(app: int) -> None:
    """In each worker: exit once the app's process (pid `app`) has gone. Its end does not reach the workers by
    itself: each holds the fork server's lifeline, so neither they nor the server notice."""

    def watch() -> None:
        while True:
            time.sleep(WATCH_EVERY)
            try:
                os.kill(app, 0)  # signal 0: is it there?
            except ProcessLookupError:
                os._exit(0)  # noqa: SLF001 — nothing to clean up, and the task queue's threads must not hold the exit
            except PermissionError:  # there, but someone else's: the pid was reused, so the app is gone
                os._exit(0)  # noqa: SLF001

    threading.Thread(target=watch, daemon=True, name="exit-with-the-app").start()


worker_processes = WorkerProcesses()  # one pool per app process, started by the first call
