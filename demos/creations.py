"""The "My creations" tab: what the user made in every tab, newest first, with play, download, delete and "open in
its tab"; and the typed endpoints /history and /history_delete, which act for the caller the same way.

Shared actions: `page_of` (one page of the caller's creations), `delete` (one of them); the page and the API render
them. Files come out of the database into the served folder when shown, so any replica shows any creation.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Optional

import gradio as gr

from demos import history as keeping
from demos.api import file_out, publish
from demos.errors import status_line, user_errors
from demos.i18n import language
from pipelines.common.config import get_settings
from pipelines.common.images import text_tile
from pipelines.common.korean import korean_names
from pipelines.common.outputs import output_folder
from pipelines.common.store.history import MAX_PAGE, PAGE_SIZE, Creation, ListRequest
from pipelines.common.store.users import PASSWORD
from pipelines.common.validation import check_number

t, MESSAGES = keeping.t, keeping.MESSAGES
korean_names({"page": "쪽 번호", "page_size": "쪽 크기"})
AUDIO = (".ogg", ".wav", ".mp3")


# -- the shared actions ---------------------------------------------------------------------------------
def page_of(request: Optional[gr.Request], page: Any = 0, files: str = "all") -> tuple[list[Creation], int, int]:
    """(creations on `page`, with their files or their previews alone, how many the caller keeps, their bytes)."""
    user = keeping.who(request)
    if user is None:
        return [], 0, 0
    creations, total = keeping.history().list(user, ListRequest(page=page, files=files))
    return creations, total, keeping.history().usage(user)[1]


def delete(request: Optional[gr.Request], item_id: Any) -> Creation:
    """Delete one of the caller's creations; returns it (an id not theirs: the same sentence as a missing one)."""
    return keeping.history().delete(keeping.who(request) or "", item_id)


def written(creation: Creation, only: Optional[str] = None) -> dict[str, Path]:
    """The creation's files on disk where Gradio serves from ({name: path}); `only` = a suffix to write alone."""
    folder = output_folder("history")
    paths = {}
    for stored in creation.files:
        if only is None or stored.name.endswith(only):
            (folder / stored.name).write_bytes(stored.data)
            paths[stored.name] = folder / stored.name
    return paths


def preview(creation: Creation) -> Any:
    """A picture standing for the creation: its first PNG (a piece of music: its piano roll), else its title."""
    pngs = written(creation, only=".png")
    return str(next(iter(pngs.values()))) if pngs else text_tile(creation.title)


def when(created: float) -> str:
    return dt.datetime.fromtimestamp(created, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def check_account(name: str, password: str) -> bool:
    """Gradio's login check (GS_SIGN_IN=password): a wrong name and a wrong password get the same answer."""
    try:
        return keeping.users().check_password(name, password)
    except ValueError:  # the database is down: nobody gets in until it is back
        return False


# -- the page ---------------------------------------------------------------------------------------------
def who_line(request: gr.Request, total: int, size: int, page: int, lang: str) -> str:
    settings = get_settings()
    name = getattr(request, "username", None) if settings.sign_in == PASSWORD else None
    who = MESSAGES("signed_in", lang, name=name) if name else MESSAGES("anonymous", lang, days=settings.anon_days)
    pages = max(1, -(-total // PAGE_SIZE))
    return MESSAGES("usage", lang, who=who, count=total, mb=f"{size / 2**20:.1f}", limit_mb=settings.history_max_mb,
                    page=min(page + 1, pages), pages=pages)


@user_errors
def show_page(page, request: gr.Request):
    lang = language(request)
    page = int(check_number(page, "page", 0, MAX_PAGE, whole=True))
    creations, total, size = page_of(request, page, files="preview")
    if not creations and page > 0:  # the last item of the last page deleted: show the page before
        return show_page(page - 1, request)
    gallery = [(preview(c), f"{MESSAGES('kind.' + c.kind, lang)} · {c.title}") for c in creations]
    note = who_line(request, total, size, page, lang) + ("" if creations else "\n\n" + MESSAGES("empty", lang))
    return gallery, [c.id for c in creations], page, note, *cleared()


def show_newer(page, request: gr.Request):
    return show_page(max(0, page - 1), request)


def show_older(page, request: gr.Request):
    return show_page(page + 1, request)


def cleared() -> tuple:
    """The detail panel with nothing chosen."""
    return None, "", gr.update(value=None, visible=False), None, None


@user_errors
def choose(ids: list, evt: gr.SelectData, request: gr.Request):
    lang = language(request)
    creation = keeping.history().get(keeping.who(request) or "", ids[evt.index])
    files = written(creation)
    audio = next((str(p) for name, p in files.items() if name.endswith(AUDIO)), None)
    title = MESSAGES("chosen", lang, title=creation.title, kind=MESSAGES("kind." + creation.kind, lang), when=when(creation.created))
    return creation.id, title, gr.update(value=audio, visible=audio is not None), [str(p) for p in files.values()], creation.settings


def open_outputs() -> list:
    """Every control a creation can be reopened into, once each (the order `reopen` answers in)."""
    seen, components = set(), []
    for reopener in keeping.REOPENERS.values():
        for component in reopener.components:
            if component._id not in seen:
                seen.add(component._id)
                components.append(component)
    return components


def reopen(chosen, request: gr.Request):
    lang, components = language(request), open_outputs()
    if not chosen:
        raise gr.Error(MESSAGES("nothing_chosen", lang))
    creation = keeping.history().get(keeping.who(request) or "", chosen)
    reopener = keeping.REOPENERS.get(creation.kind)
    if reopener is None:
        return gr.update(), MESSAGES("no_reopen", lang), *[gr.update()] * len(components)
    files = written(creation)
    values = dict(zip((c._id for c in reopener.components), reopener.restore(creation, lambda name: files[name])))
    return (gr.Tabs(selected=reopener.tab), MESSAGES("opened", lang),
            *[values.get(c._id, gr.update()) for c in components])


def delete_chosen(chosen, page, request: gr.Request):
    lang = language(request)
    if not chosen:
        raise gr.Error(MESSAGES("nothing_chosen", lang))
    gone = delete(request, chosen)
    return *show_page(page, request), MESSAGES("deleted", lang, title=gone.title)


# -- the typed endpoints --------------------------------------------------------------------------------------
def api_history(page: int = 0, request: gr.Request = None) -> dict:
    """The caller's creations, newest first, PAGE_SIZE (24) per page, with their settings and files.

    Args:
        page: 0 for the newest, 1 for the next 24, … (at most 10,000).
    Returns:
        {"items": [{"id", "kind" ("image", "image_to_image", "music", "latent"), "title", "created" (ISO 8601, UTC),
         "settings", "files": files to download}], "total": how many the caller keeps, "page", "pages"}
    """
    creations, total, _ = page_of(request, ListRequest(page=page).page)
    items = [{"id": c.id, "kind": c.kind, "title": c.title,
              "created": dt.datetime.fromtimestamp(c.created, dt.timezone.utc).isoformat(timespec="seconds"),
              "settings": c.settings, "files": [file_out(p) for p in written(c).values()]} for c in creations]
    return {"items": items, "total": total, "page": int(page), "pages": max(1, -(-total // PAGE_SIZE))}


def api_history_delete(id: str, request: gr.Request = None) -> dict:  # noqa: A002 (the API's field is called id)
    """Delete one of the caller's creations.

    Args:
        id: the creation's id, as /history lists it.
    Returns:
        {"deleted": the id, "remaining": how many creations the caller still keeps}
    """
    delete(request, id)
    return {"deleted": id, "remaining": keeping.history().usage(keeping.who(request) or "")[0]}


def build(tab: gr.Tab, tabs: gr.Tabs, token: gr.BrowserState) -> gr.Blocks:
    """The tab; `token` is the page's BrowserState (history.browser_identity), bound to the session as the page loads."""
    with gr.Blocks() as demo:
        gr.Markdown(t("history.intro"))
        if keeping.hf_sign_in():
            gr.LoginButton()
        note = gr.Markdown(elem_id="history-note")
        with gr.Row():
            newer, older = gr.Button(t("history.newer"), size="sm"), gr.Button(t("history.older"), size="sm")
            refresh = gr.Button(t("history.refresh"), size="sm", elem_id="history-refresh")
        gallery = gr.Gallery(label=t("history.gallery"), columns=6, height="auto", allow_preview=False,
                             object_fit="contain", elem_id="history-gallery")
        ids, page, chosen = gr.State([]), gr.State(0), gr.State("")
        title = gr.Markdown(elem_id="history-chosen")
        audio = gr.Audio(label=t("history.audio"), visible=False, interactive=False)
        with gr.Row():
            files = gr.File(label=t("history.files"), file_count="multiple", interactive=False, scale=2)
            settings = gr.JSON(label=t("history.settings"), scale=2)
        with gr.Row():
            open_button = gr.Button(t("history.open"), variant="primary", elem_id="history-open")
            delete_button = gr.Button(t("history.delete"), variant="stop", elem_id="history-delete")
        status = gr.Markdown(elem_id="history-status")
        publish(api_history, "history")
        publish(api_history_delete, "history_delete")
        private = dict(api_visibility="private")
        listed = [gallery, ids, page, note, chosen, title, audio, files, settings]
        demo.load(keeping.bind_page, token, token, **private).then(show_page, page, listed, **private)
        refresh.click(show_page, page, listed, **private)
        tab.select(show_page, page, listed, **private)
        newer.click(show_newer, page, listed, **private)
        older.click(show_older, page, listed, **private)
        gallery.select(choose, ids, [chosen, title, audio, files, settings], **private)
        open_button.click(status_line(reopen, 2 + len(open_outputs()), status=1, separate=False), chosen,
                          [tabs, status, *open_outputs()], **private)
        delete_button.click(status_line(delete_chosen, len(listed) + 1, separate=False), [chosen, page],
                            [*listed, status], **private)
    return demo
