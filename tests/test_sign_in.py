"""Who a request acts for under each GS_SIGN_IN mode (demos/history.py), with Gradio's own request and profile
objects: a browser's token brings it back to its history from any page session; signing in with Hugging Face adopts
what the browser made; a password account is the user its login names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import gradio as gr
import pytest

from demos import history
from pipelines.common.config import get_settings
from pipelines.common.store.database import Database
from pipelines.common.store.history import History, KeepRequest
from pipelines.common.store.users import Users


@pytest.fixture
def mode(tmp_path, monkeypatch):
    """Set GS_SIGN_IN for demos.history, on a database of the test's own."""
    database = Database(f"sqlite:///{tmp_path / 'studio.sqlite3'}")
    monkeypatch.setattr(history, "get_database", lambda: database)

    def set_mode(name: str) -> Database:
        monkeypatch.setattr(history, "get_settings", lambda: replace(get_settings(), sign_in=name))
        return database
    return set_mode


def page(session: str, username: str | None = None) -> gr.Request:
    return gr.Request(username=username, session_hash=session)


def a_creation(tmp_path: Path, name: str) -> KeepRequest:
    (tmp_path / f"{name}.png").write_bytes(b"png")
    return KeepRequest("image", name, {"seed": 1}, ((f"{name}.png", tmp_path / f"{name}.png"),))


def test_off_a_browser_finds_its_history_from_any_page_session(mode, tmp_path):
    database = mode("off")
    token = history.bind_page("", page("first-load"))
    user = history.who(page("first-load"))
    History(database).keep(user, a_creation(tmp_path, "made"))
    assert history.bind_page(token, page("after-reload")) == token
    assert history.who(page("after-reload")) == user  # the reloaded page acts for the same browser
    other = history.bind_page("", page("another-browser"))
    assert other != token and History(database).list(history.who(page("another-browser")))[1] == 0


def test_hf_signing_in_adopts_the_browsers_creations(mode, tmp_path):
    database = mode("hf")
    token = history.bind_page("", page("anonymous-visit"))
    History(database).keep(history.who(page("anonymous-visit")), a_creation(tmp_path, "before"))
    profile = gr.OAuthProfile({"preferred_username": "someone", "name": "Some One", "picture": "", "profile": "", "sub": "1"})
    history.bind_page(token, page("signed-in"), profile)  # the page reloads after Hugging Face's login
    account = history.who(page("signed-in"))
    assert account == Users(database).named("hf", "someone")
    assert [c.title for c in History(database).list(account)[0]] == ["before"]
    history.bind_page(token, page("on-another-day"), profile)
    assert history.who(page("on-another-day")) == account  # signed in again: the same account, nothing lost


def test_password_the_login_names_the_user_whatever_the_session(mode):
    database = mode("password")
    Users(database).add_account("ada", "lovelace1843")
    assert history.who(page("any", username="ada")) == history.who(page("other", username="ada"))
    assert history.who(page("any", username="ada")) == Users(database).named("password", "ada")


def test_keeping_with_no_request_keeps_nothing(mode, tmp_path):
    mode("off")
    assert history.kept(None, "image", "t", {}, [tmp_path]) is None


def test_hf_off_a_space_without_a_token_runs_without_sign_in(mode, monkeypatch):
    mode("hf")
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    assert not history.hf_sign_in()  # Gradio's local sign-in would refuse to start the app without a token
    monkeypatch.setenv("SPACE_ID", "someone/studio")
    assert history.hf_sign_in()
