"""Per-request output folders for files handed to the browser (MIDI, audio, PNG).

The app points them into the folder its web server serves files from (`serve_from`: Gradio's cache),
so each output is written once and served in place, never staged here and copied there. The server
ages and bounds what it serves; these folders are also removed once older than GS_FILES_MAX_AGE,
or sooner, oldest first, once a kind's folders hold more than GS_FILES_MAX_MB, which covers files
written by a request that failed before handing them over (the server never learns of those).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from pipelines.common.config import get_settings

OUTPUT_MIN_AGE = 60  # seconds: a folder this young may belong to a request still running
PRUNE_EVERY = 10  # seconds between two prunings of one kind: a live training asks for a folder every 2 s
_pruned: dict[Path, float] = {}  # root → when it was last pruned
_root = Path(tempfile.gettempdir())  # without a server (tests, scripts): the temp dir


def serve_from(folder: str | Path) -> None:
    """Write every later output under `folder`, the folder the app's server serves files from."""
    global _root
    _root = Path(folder)


def _folder_size(folder: Path) -> int:
    try:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    except OSError:  # removed meanwhile
        return 0


def prune(root: Path, max_age: float | None = None, max_bytes: int | None = None) -> None:
    """Remove `root`'s folders older than `max_age`, then the oldest while the rest exceed `max_bytes`
    (default: the served files' bounds, GS_FILES_MAX_AGE and GS_FILES_MAX_MB, so a page's files live as
    long as the server would keep them)."""
    settings = get_settings()
    max_age = settings.files_max_age if max_age is None else max_age
    max_bytes = settings.files_max_mb * 1024 * 1024 if max_bytes is None else max_bytes
    now = time.time()
    folders = []
    for old in root.iterdir():
        try:
            folders.append((old.stat().st_mtime, old))
        except OSError:  # another request removed it first
            pass
    folders.sort()
    total = sum(_folder_size(f) for _, f in folders)
    for mtime, folder in folders:
        too_old = now - mtime > max_age
        too_much = total > max_bytes and now - mtime > OUTPUT_MIN_AGE
        if not (too_old or too_much):
            continue
        total -= _folder_size(folder)
        shutil.rmtree(folder, ignore_errors=True)


def output_folder(kind: str) -> Path:
    """A fresh folder for one request's files under `generative-studio-<kind>` (in the served folder, see
    `serve_from`), after pruning that kind's old folders (at most every PRUNE_EVERY seconds)."""
    root = _root / f"generative-studio-{kind}"
    root.mkdir(parents=True, exist_ok=True)
    if time.monotonic() - _pruned.get(root, -PRUNE_EVERY) >= PRUNE_EVERY:  # a scan of every folder: not on each call
        _pruned[root] = time.monotonic()
        prune(root)
    return Path(tempfile.mkdtemp(dir=root))
