"""Offline-safe model loading: a hub id, a local folder or a single file.

Every tab resolves its weights through `resolve_model_source`, so a missing
model always produces the same kind of plain message, never a stack trace or a
download that hangs on a machine without internet.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


class ModelUnavailableError(ValueError):
    """The requested weights are not on this machine (and cannot be fetched)."""


def is_offline() -> bool:
    """HF_HUB_OFFLINE is set, or the hub cannot be reached (checked at most once a minute)."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes") or not hub_reachable()


_reachability: dict[str, tuple[float, bool]] = {}


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the hub answers a TCP connection, so a missing model fails in seconds, not after the
    hub client's retries (about 30 s on a machine without network)."""
    import socket
    import time
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    checked = _reachability.get(host)
    if checked and time.monotonic() - checked[0] < 60:
        return checked[1]
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        reachable = True
    except OSError:
        reachable = False
    _reachability[host] = (time.monotonic(), reachable)
    return reachable


def resolve_model_source(spec: str, what: str = "model") -> Path:
    """Turn `spec` into a local path: an existing file or folder, or a hub id's cached snapshot.

    Raises ModelUnavailableError naming the spec and how to provide it.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"{what} must be a hub id or a local path, got {spec!r}")
    spec = spec.strip()
    path = Path(spec).expanduser()
    if path.exists():
        return path
    if not _HUB_ID.match(spec) or spec.startswith((".", "/", "~")):
        raise ModelUnavailableError(f"{what} {spec!r} was not found: no such file or folder")
    from huggingface_hub import snapshot_download  # a gradio dependency, imported only here

    try:
        return Path(snapshot_download(spec, local_files_only=True))
    except Exception:
        if is_offline():
            raise ModelUnavailableError(
                f"{what} {spec!r} is not downloaded and this machine is offline. "
                f"Download it where there is internet (huggingface-cli download {spec}) "
                "or give a local folder or .safetensors file instead."
            ) from None
    try:
        return Path(snapshot_download(spec, etag_timeout=10))
    except Exception as exc:  # no network, no such repo, gated repo...
        raise ModelUnavailableError(
            f"{what} {spec!r} could not be downloaded ({type(exc).__name__}). "
            "Check the id and the network, or give a local folder or .safetensors file."
        ) from None


def is_present(spec: str) -> bool:
    """Whether `spec` names weights already on this machine (never touches the network)."""
    path = Path(str(spec)).expanduser()
    if path.exists():
        return True
    if not _HUB_ID.match(str(spec)):
        return False
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(spec, local_files_only=True)
        return True
    except Exception:
        return False


def cached_loader(fn: Callable[..., T] | None = None, *, maxsize: int | None = None):
    """Memoize a loader by its arguments; concurrent first calls of one key load only once.

    `maxsize` bounds the cache for loaders of big models: the least recently used entry goes, and
    only after a new load succeeded (a bad request never evicts a good model). Failures are not
    cached, so a model that appears later (downloaded, copied in) loads on the next call. Each key
    has its own lock: a slow load does not hold up calls for models already loaded or other keys.
    """

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        cache: "OrderedDict[tuple, T]" = OrderedDict()
        key_locks: dict[tuple, threading.Lock] = {}
        lock = threading.Lock()  # guards the two dicts, never held while loading

        @functools.wraps(fn)
        def wrapper(*args):
            with lock:
                if args in cache:
                    cache.move_to_end(args)
                    return cache[args]
                key_lock = key_locks.setdefault(args, threading.Lock())
            with key_lock:
                with lock:
                    if args in cache:
                        return cache[args]
                value = fn(*args)
                with lock:
                    cache[args] = value
                    while maxsize and len(cache) > maxsize:
                        cache.popitem(last=False)
                return value

        wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
        return wrapper

    return decorate(fn) if fn is not None else decorate
