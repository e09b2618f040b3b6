"""Keeping what users make: who a request acts for, keeping a creation for them, and reopening it in its tab.

    kept(request, "image", title=prompt, settings=result.settings, files=result.files)   # in a tab's shared action
    reopens("image", "tab.image", components, restore)                                   # in a tab's build()

Who: GS_SIGN_IN=password: the account Gradio's login names; otherwise the user the page's session was bound to when it
loaded (`bind_page`: its browser's anonymous history, or the Hugging Face account signed in), and an API client
without a page gets an anonymous history of its own session. Keeping never costs the user a result: when the
database cannot be reached, the result is shown and a toast says it was not kept.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import gradio as gr
from PIL import Image

from demos.errors import warn
from demos.i18n import language, strings
from pipelines.common.config import get_settings
from pipelines.common.store.database import get_database
from pipelines.common.store.history import Creation, History, KeepRequest
from pipelines.common.store.users import HF, PASSWORD, Users
from pipelines.common.validation import say

t, MESSAGES = strings("history")  # demos/strings/history.toml
log = logging.getLogger("generative_studio")
EXPIRE_EVERY = 3600.0  # seconds between sweeps of expired anonymous histories (per process)
_last_sweep = [0.0]


def users() -> Users:
    return Users(get_database())


def history() -> History:
    return History(get_database())


def who(request: Optional[gr.Request]) -> Optional[str]:
    """The user id a request acts for (None outside a request: a direct call keeps nothing)."""
    if request is None or not getattr(request, "session_hash", None):
        return None
    if get_settings().sign_in == PASSWORD and getattr(request, "username", None):
        return users().named(PASSWORD, request.username)
    return users().user_for_session(request.session_hash)


def bind_page(token: Optional[str], request: gr.Request, profile: Optional[gr.OAuthProfile] = None) -> str:
    """At page load: this browser's anonymous user (a new one for a new browser; the token returned is kept in its
    BrowserState), or the account signed in, which adopts what the browser made before signing in."""
    the_users = users()
    anonymous, token = the_users.browser(token)
    user = anonymous
    mode = get_settings().sign_in
    if mode == PASSWORD and request.username:
        user = the_users.named(PASSWORD, request.username)
    elif mode == HF and profile is not None:
        user = the_users.named(HF, profile.username)
        the_users.adopt(anonymous, user)
    the_users.bind_session(request.session_hash, user)
    sweep()
    return token


def browser_identity() -> gr.BrowserState:
    """The browser's anonymous token, kept in its localStorage and bound to the page's session when the page loads.
    Built at the top of the page, outside the tabs: a tab's components start only when it is first opened. The
    secret it is encrypted with is the database's, so a restart or another replica still reads it."""
    token = gr.BrowserState("", storage_key="generative-studio-browser", secret=browser_secret())
    return token


def browser_secret() -> str:
    """The secret BrowserState encrypts the token with: one per database (kept in it), the same for every replica."""
    try:
        return users().shared_secret("browser_state")
    except ValueError as exc:  # no database at start-up: tokens are read by this process only, until a restart
        log.warning("browser tokens use a secret of this process only: %s", exc)
        return secrets.token_urlsafe(24)


def hf_sign_in() -> bool:
    """Whether to offer "Sign in with Hugging Face": GS_SIGN_IN=hf on a Space, or off a Space where a Hugging Face token
    is set up (Gradio then signs in as that account, for trying it locally). Without either, Gradio would refuse to
    start, so the app says why in the log and runs without sign-in instead."""
    if get_settings().sign_in != HF:
        return False
    import os

    from huggingface_hub import get_token

    if os.environ.get("SPACE_ID") or get_token():
        return True
    log.warning("GS_SIGN_IN=hf works on a Hugging Face Space (or locally after `hf auth login`); running without sign-in")
    return False


def sweep() -> None:
    """Delete anonymous histories not visited for GS_ANON_DAYS (at most once an hour per process)."""
    if time.monotonic() - _last_sweep[0] < EXPIRE_EVERY:
        return
    _last_sweep[0] = time.monotonic()
    removed = users().expire(get_settings().anon_days)
    if removed:
        log.info("removed %d anonymous histories older than %d days", removed, get_settings().anon_days)


def kept(request: Optional[gr.Request], kind: str, title: str, settings: dict[str, Any],
         files: Iterable[Any]) -> Optional[str]:
    """Keep a creation for the request's user; returns its id (None when nothing was kept). `files`: paths (kept
    under their names) or (name, path) pairs. The user is told, in a toast, when older creations made room for it or
    when it could not be kept."""
    paths = tuple(f if isinstance(f, tuple) else (Path(f).name, f) for f in files if f)
    if not paths:
        return None
    lang = language(request)
    try:
        user = who(request)
        if user is None:
            return None
        result = history().keep(user, KeepRequest(kind=kind, title=title or kind, settings=settings, files=paths))
    except ValueError as exc:  # StorageUnavailable: the result is still shown
        warn(MESSAGES("not_kept", lang, reason=say(exc, lang)), lang)
        return None
    if result.dropped:
        warn(MESSAGES("dropped", lang, count=result.dropped, limit=get_settings().history_max_items,
                      mb=get_settings().history_max_mb), lang)
    return result.item_id


@contextlib.contextmanager
def picture_files(images: Iterable[Image.Image], name: str = "image") -> Iterator[list[Path]]:
    """In-memory pictures (the Latent Lab's, a piano roll) as PNG files for `kept`, which stores their bytes in the
    database; the files are deleted on leaving (in the served folder they would be a second copy of what is shown)."""
    with tempfile.TemporaryDirectory(prefix="gs-keep-") as folder:
        paths = []
        for i, image in enumerate(images):
            paths.append(Path(folder) / f"{name}_{i}.png")
            image.save(paths[-1], format="PNG")
        yield paths


# -- reopening a creation in its tab ---------------------------------------------------------------------
@dataclass
class Reopener:
    tab: str  # the tab's id in app.py's TABS
    components: list  # the tab's controls the settings go back into
    restore: Callable[[Creation, Callable[[str], Path]], list]  # the creation, a file's path → a value per component


REOPENERS: dict[str, Reopener] = {}  # filled by the tabs' build(): the layout, not anyone's data


def reopens(kind: str, tab: str, components: list, restore: Callable) -> None:
    REOPENERS[kind] = Reopener(tab, components, restore)
