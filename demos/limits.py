"""What one request, and the server as a whole, may take: a request body's size, the files kept on
disk, and time spent on a request whose client has gone away. app.py wires these into launch().

- Bodies: Starlette's own body limit (it counts a declared Content-Length before reading a byte, and a
  streamed body as it arrives) with two bounds: an upload may carry one file of up to the launch's
  max_file_size (Gradio checks each file, but would take 1,000 of them in one body), every other body
  GS_MAX_BODY_KB (a JSON call is a few kB; parsing costs a few times a body's size in memory).
- Files: every output is written once, in the folder Gradio serves from (outputs.serve_from);
  `ServedFiles` bounds those files and the uploads by age and by total size, and sweeps the folders
  emptied and the uploads cut off midway.
- Abandoned requests: when a client's stream closes, Gradio marks its running event dead and stops a
  generator at its next yield (the Learn tab's training); a plain function runs on, so the long ones
  pass `watched(...)` as their pipeline's progress callback, which ends them at their next step.
- Memory: besides these bounds and the session cap (app.py), fewer malloc arenas (see below).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import time
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Callable, Optional

import anyio
import gradio as gr
from fastapi.responses import JSONResponse
from gradio.context import LocalContext
from gradio.utils import get_upload_folder
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request

from demos.i18n import language, strings
from pipelines.common.config import Settings
from pipelines.common.progress import ProgressFn

log = logging.getLogger("generative_studio")
M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)
UPLOAD_ENVELOPE = 64 * 1024  # multipart boundaries and headers around the one file of an upload
FRESH = 60  # seconds: a file this young may not have been fetched yet, whatever the size bound says

_, MESSAGES = strings("limits")  # demos/strings/limits.toml


def _size(n: int) -> str:
    return f"{n / 1024 ** 2:g} MB" if n >= 1024 ** 2 else f"{n / 1024:g} kB"


def fewer_malloc_arenas(arenas: int = 2) -> None:
    """Let glibc's malloc keep at most `arenas` arenas, as MALLOC_ARENA_MAX=2 would. By default a thread that
    allocates under contention gets an arena of its own, up to 8 per core, and each arena keeps the memory it
    once held: after 1,200 hostile calls through Gradio's worker threads, RSS stood at 1,714 MiB, against
    1,242 MiB with two arenas."""
    with suppress(OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)


# -- request bodies ------------------------------------------------------------------------------------------
class BodyLimits:
    """ASGI middleware: Starlette's body limit, `upload_limit` for the upload route and `limit` for the rest.
    A body declared too large is refused here, with `refuse`'s answer: Starlette would answer it with its own
    "Content Too Large" in place of any other; one found too large as it streams in reaches `refuse` as the
    app's 413 handler."""

    def __init__(self, app, limit: int, upload_limit: int, refuse: Callable) -> None:
        self.limited = RequestBodyLimitMiddleware(app, max_body_size=limit)
        self.upload = RequestBodyLimitMiddleware(app, max_body_size=upload_limit)
        self.limit, self.upload_limit, self.refuse = limit, upload_limit, refuse

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.limited.app(scope, receive, send)
        upload = scope["path"].rstrip("/").endswith("/upload")
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > (self.upload_limit if upload else self.limit):
            response = await self.refuse(Request(scope), None)
            return await response(scope, receive, send)
        await (self.upload if upload else self.limited)(scope, receive, send)


def body_limits(settings: Settings, max_file_size: int) -> tuple[list[Middleware], dict]:
    """launch()'s app_kwargs entries: the middleware, and the 413 handler that says the limits in a sentence
    in the request's language."""
    limit, upload = settings.max_body_kb * 1024, max_file_size + UPLOAD_ENVELOPE

    async def too_large(request, exc):
        detail = MESSAGES("too_large", language(request), limit=_size(limit), upload=_size(max_file_size))
        return JSONResponse({"detail": detail}, status_code=413)

    return [Middleware(BodyLimits, limit=limit, upload_limit=upload, refuse=too_large)], {413: too_large}


# -- files on disk -------------------------------------------------------------------------------------------
class ServedFiles:
    """Deletes the files Gradio keeps for this app (blocks.temp_file_sets: outputs, uploads, Gradio's own
    images) once older than `max_age`, and the oldest beyond `max_bytes` in all, though never one younger
    than `fresh` seconds (a client may not have fetched it yet); every file at shutdown, as delete_cache does.

    Not gr.Blocks(delete_cache=...): Gradio's pass iterates those sets in a worker thread while requests add
    to them, so under load it raises "Set changed size during iteration" and its loop ends for good, silently
    (tests/test_limits.py shows it). This pass works on copies, and a failed pass is logged and retried."""

    def __init__(self, max_bytes: int, max_age: float, fresh: float = FRESH) -> None:
        self.max_bytes, self.max_age, self.fresh = max_bytes, max_age, fresh
        self.every = max(1, min(60, max_age // 4))  # seconds between passes
        self.folders: set[str] = set()  # the folders of the files seen last time

    def _tracked(self, blocks) -> dict[str, tuple[float, int, list[set]]]:
        """{path: (ctime, size, the sets naming it)}; forgets paths already deleted (Gradio never does)."""
        keep = set().union(*(getattr(b, "keep_in_cache", set()).copy() for b in list(blocks.blocks.values())))
        files: dict[str, tuple[float, int, list[set]]] = {}
        for tracked in list(blocks.temp_file_sets):
            for path in tracked.copy():  # requests add to these sets meanwhile
                if path in files:
                    files[path][2].append(tracked)
                    continue
                try:
                    stat = os.lstat(path)
                except OSError:  # deleted with its request's folder (outputs.prune), or by hand
                    tracked.discard(path)
                    continue
                if path not in keep:
                    files[path] = (stat.st_ctime, stat.st_size, [tracked])
        return files

    def prune(self, blocks, max_age: Optional[float] = None) -> int:
        """One pass (`max_age` < 0: delete everything); returns the bytes kept."""
        max_age = self.max_age if max_age is None else max_age
        files = self._tracked(blocks)
        total, now = sum(size for _, size, _ in files.values()), time.time()
        for path, (ctime, size, sets) in sorted(files.items(), key=lambda item: item[1][0]):  # oldest first
            if now - ctime <= max_age and (total <= self.max_bytes or now - ctime < self.fresh):
                break  # every later file is younger still
            with suppress(OSError):
                os.remove(path)
            for tracked in sets:
                tracked.discard(path)
            total -= size
        self._sweep({str(Path(p).parent) for p in files})
        return total

    def _sweep(self, folders: set[str]) -> None:
        """Remove the folders emptied since the last pass, and uploads cut off midway (Gradio leaves their
        partial file in the upload folder) once past max_age."""
        for folder in self.folders - folders:
            with suppress(OSError):  # not empty, or gone: leave it
                os.rmdir(folder)
        self.folders = folders
        now = time.time()
        with suppress(OSError), os.scandir(get_upload_folder()) as entries:
            for entry in entries:
                if entry.name.startswith("tmp") and entry.is_file(follow_symlinks=False) and \
                        now - entry.stat(follow_symlinks=False).st_mtime > self.max_age:
                    with suppress(OSError):
                        os.remove(entry.path)

    def lifespan(self) -> Callable:
        """launch()'s app_kwargs["lifespan"]: a pass every `every` seconds while the server runs."""

        @asynccontextmanager
        async def running(app):
            async def loop() -> None:
                while True:
                    await asyncio.sleep(self.every)
                    try:
                        await anyio.to_thread.run_sync(self.prune, app.get_blocks())
                    except Exception:  # a bug: said in the log, and the next pass still runs
                        log.exception("pruning the served files failed")

            task = asyncio.create_task(loop())
            try:
                yield
            finally:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
                self.prune(app.get_blocks(), max_age=-1)

        return running


# -- abandoned requests --------------------------------------------------------------------------------------
class Abandoned(gr.Error):
    """Ends a running event whose client has gone away (nobody is left to see the error)."""


def abandoned() -> bool:
    """Whether the client of the queued event running in this thread has gone away. Gradio holds a running
    event until the event ends, and clears its `alive` flag when the client's stream closes; /cancel
    (a Stop button's `cancels`, gradio_client's job.cancel) ends the event's task, which lets it go."""
    queue = getattr(LocalContext.blocks.get(None), "_queue", None)
    event_id = LocalContext.event_id.get(None)
    if queue is None or event_id is None:  # not a queued event (a direct call, a validator, a test)
        return False
    event = queue.event_ids_to_events.get(event_id)
    return event is None or not event.alive


def watched(report: Optional[ProgressFn] = None) -> ProgressFn:
    """A pipeline's progress callback that raises Abandoned once the client has gone, else reports on."""

    def progress(fraction: float, description: str = "") -> None:
        if abandoned():
            raise Abandoned(MESSAGES("abandoned"), print_exception=False)
        if report is not None:
            report(fraction, description)

    return progress
