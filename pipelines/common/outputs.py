"""Per-request output folders for files handed to the browser (MIDI, audio, PNG)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

OUTPUT_MAX_AGE = 2 * 3600  # seconds: Gradio has copied the files to its own cache long before


def output_folder(kind: str) -> Path:
    """A fresh folder for one request's files under the temp dir's `generative-studio-<kind>`;
    that kind's folders older than OUTPUT_MAX_AGE are removed."""
    root = Path(tempfile.gettempdir()) / f"generative-studio-{kind}"
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        try:
            if now - old.stat().st_mtime > OUTPUT_MAX_AGE:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:  # another request removed it first
            pass
    return Path(tempfile.mkdtemp(dir=root))
