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
from typing import Any, Callable, Optional, Sequence, TypeVar

from huggingface_hub.constants import is_offline_mode

from pipelines.common.korean import korean_names
from pipelines.common.validation import UserInputError, check_text, quote

T = TypeVar("T")
# Names callers give `what` below, in Korean: the emoji model's (loaded by two tabs) and the quiz generator's sit
# here, beside the sentences that say them.
korean_names({"model": "모델", "the embedded image model": "내장 이미지 모델", "quiz generator": "퀴즈 생성기"})

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


class ModelUnavailableError(UserInputError):
    """The requested weights are not on this machine (and cannot be fetched). The common cases carry a
    key (for the Korean sentence); the rest fall back to the English one."""

    def __init__(self, message: str, ko: str = "", key: str = "model.unavailable", **params) -> None:
        super().__init__(key, message, ko, **params)


def is_offline() -> bool:
    """huggingface_hub's offline mode (HF_HUB_OFFLINE, read as it reads it), or the hub cannot be reached (checked
    at most once a minute)."""
    return is_offline_mode() or not hub_reachable()


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
        raise UserInputError("model.spec", f"{what} must be a hub id or a local path, got {quote(spec)}",
                             "{what}은(는) 허브 id나 로컬 경로여야 합니다. 받은 값: {value}", what=what, value=quote(spec))
    spec = spec.strip()
    path = Path(spec).expanduser()
    if path.exists() and (path.is_absolute() or not _HUB_ID.match(spec)):  # "owner/name" is a hub id, never ./owner/name
        return path
    if not _HUB_ID.match(spec) or spec.startswith((".", "/", "~")):
        raise ModelUnavailableError(f"{what} {quote(spec)} was not found: no such file or folder",
                                    "{what} {value}을(를) 찾을 수 없습니다. 그런 파일이나 폴더가 없습니다.",
                                    what=what, value=quote(spec))
    from huggingface_hub import snapshot_download  # a gradio dependency, imported only here

    try:
        return Path(snapshot_download(spec, local_files_only=True))
    except Exception:
        if is_offline():
            raise ModelUnavailableError(
                f"{what} {quote(spec)} is not downloaded and this machine is offline. "
                f"Download it where there is internet (huggingface-cli download {quote(spec)}) "
                "or give a local folder or .safetensors file instead.",
                "{what} {value}은(는) 아직 내려받지 않았고, 이 컴퓨터는 인터넷에 연결되어 있지 않습니다. 인터넷이 되는 곳에서 "
                "내려받거나(huggingface-cli download {value}) 로컬 폴더나 .safetensors 파일을 지정하세요.",
                key="model.offline", what=what, value=quote(spec)
            ) from None
    try:
        return Path(snapshot_download(spec, etag_timeout=10))
    except Exception:  # no network, no such repo, gated repo...
        raise ModelUnavailableError(
            f"{what} {quote(spec)} could not be downloaded (no such model, no access, or no network). "
            "Check the id and the network, or give a local folder or .safetensors file.",
            "{what} {value}을(를) 내려받지 못했습니다(없는 모델이거나, 접근 권한이 없거나, 네트워크가 끊겼습니다). "
            "id와 네트워크를 확인하거나 로컬 폴더나 .safetensors 파일을 지정하세요.", what=what, value=quote(spec)
        ) from None


MAX_MODEL_ID = 200  # characters: hub ids are short; a path inside the models folder too


def check_model_request(spec: Any, offered: Sequence[str], allow_custom: bool, models_dir: Optional[Path]) -> str:
    """The model a request names, made safe to load. Accepted: one of `offered` (the host's list);
    when the host allows custom models, a hub id ("owner/name") or a file or folder inside
    `models_dir` (returned as its absolute path). Everything else — other paths, "~", "..", device
    files, uploads — gets one sentence that is the same whether or not the path exists."""
    spec = check_text(spec, "model", MAX_MODEL_ID, empty_hint="choose one of the listed models")
    if spec in offered:
        return spec
    if allow_custom:
        if models_dir and not spec.startswith("~"):  # the models folder first: "sd/v1" may name a folder there
            root = Path(models_dir).resolve()
            try:
                path = (root / spec).resolve()  # follows links and "..": checked against the root below
                if path.is_relative_to(root) and path != root and (path.is_file() or path.is_dir()):
                    return str(path)
            except (OSError, ValueError):
                pass
        if _HUB_ID.match(spec) and ".." not in spec:
            return spec
    where = "a hub id (owner/name) or a model in the models folder" if allow_custom else "nothing else on this server"
    where_ko = " 중에서 고르거나, 허브 id(owner/name)나 모델 폴더의 모델을 지정하세요." if allow_custom else " 중에서 고르세요."
    raise UserInputError("model.refused", f"model {quote(spec)} is not available here: choose one of "
                         f"{', '.join(offered)}, or {where}", "모델 {value}은(는) 여기서 쓸 수 없습니다. {choices}" + where_ko,
                         value=quote(spec), choices=", ".join(offered))


def is_present(spec: str) -> bool:
    """Whether `spec` names weights already on this machine (never touches the network)."""
    path = Path(str(spec)).expanduser()
    if path.exists() and (path.is_absolute() or not _HUB_ID.match(str(spec))):
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
