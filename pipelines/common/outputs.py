"""Per-request output folders for files handed to the browser (MIDI, audio, PNG).

Gradio copies every returned file into its own cache as the request ends, so these folders are
only a staging area: they are removed after OUTPUT_MAX_AGE, or sooner, oldest first, once a kind's
folders hold more than OUTPUT_MAX_BYTES (a busy host's disk stays bounded, not only its age).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

OUTPUT_MAX_AGE = 15 * 60  # seconds: long after Gradio has copied the files
OUTPUT_MAX_BYTES = 200 * 1024 * 1024  # per kind
OUTPUT_MIN_AGE = 60  # seconds: a folder this young may belong to a request still running


def _folder_size(folder: Path) -> int:
    try:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    except OSError:  # removed meanwhile
        return 0


def prune(root: Path, max_age: float = OUTPUT_MAX_AGE, max_bytes: int = OUTPUT_MAX_BYTES) -> None:
    """Remove `root`'s folders older than `max_age`, then the oldest while the rest exceed `max_bytes`."""
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
    """A fresh folder for one request's files under the temp dir's `generative-studio-<kind>`,
    after pruning that kind's old folders."""
    root = Path(tempfile.gettempdir()) / f"generative-studio-{kind}"
    root.mkdir(parents=True, exist_ok=True)
    prune(root)
    return Path(tempfile.mkdtemp(dir=root))
