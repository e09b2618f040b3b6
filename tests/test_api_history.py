"""My creations through the API (#20): what a client makes is in its /history, with settings and files; no one else
sees or deletes it; a restart of the app keeps an account's creations; /quiz_stats counts every answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from pipelines.text_to_image.metadata import read_settings

from tests.test_kill import start_app

ROOT = Path(__file__).resolve().parents[1]


def test_a_picture_made_is_in_the_makers_history_only(app_url):
    maker, other = Client(app_url, verbose=False), Client(app_url, verbose=False)
    made = maker.predict("red heart", model="emoji-diffusion", steps=2, seed=11, api_name="/text_to_image")
    listed = maker.predict(api_name="/history")
    newest = listed["items"][0]
    assert newest["kind"] == "image" and newest["title"] == "red heart" and newest["settings"]["seed"] == made["seeds"][0]
    assert read_settings(newest["files"][0])["prompt"] == "red heart"  # the PNG itself, its settings inside
    assert other.predict(api_name="/history")["total"] == 0
    with pytest.raises(Exception, match="no creation") as foreign:
        other.predict(newest["id"], api_name="/history_delete")
    with pytest.raises(Exception, match="no creation") as missing:
        other.predict("Z" * 32, api_name="/history_delete")
    assert str(foreign.value).replace(newest["id"], "ID") == str(missing.value).replace("Z" * 32, "ID")
    assert maker.predict(newest["id"], api_name="/history_delete") == {"deleted": newest["id"],
                                                                      "remaining": listed["total"] - 1}
    with pytest.raises(Exception, match="no creation"):
        maker.predict(newest["id"], api_name="/history_delete")


def test_music_and_latent_pictures_are_kept_with_their_files(app_url):
    maker = Client(app_url, verbose=False)
    maker.predict(generator="fashion-mnist", seed=5, count=2, api_name="/latent_samples")
    maker.predict(text="a calm lake", mood="calm", seconds=2, seed=3, api_name="/text_to_music")
    music, latent = maker.predict(api_name="/history")["items"]
    assert music["kind"] == "music" and music["settings"]["seed"] == 3 and music["settings"]["action"] == "compose"
    assert sorted(Path(f).suffix for f in music["files"]) == [".mid", ".ogg", ".png"]
    assert latent["kind"] == "latent" and latent["settings"]["seed"] == 5 and len(latent["files"]) == 2


def test_bad_history_requests_get_a_sentence_over_raw_http(app_url):
    for data, phrase in (([10**9], "page must be from 0 to 10000"), (["two"], "page"), ([None], "page")):
        answer = raw_call(app_url, "history", data)
        assert phrase in answer and "Traceback" not in answer
    assert "no creation" in raw_call(app_url, "history_delete", [{"nested": "x" * 10_000}])


def raw_call(app_url: str, name: str, data: list) -> str:
    """The text of what /gradio_api/call/<name> answers (the error event's sentence, or the result)."""
    posted = httpx.post(f"{app_url}/gradio_api/call/{name}", json={"data": data}, timeout=30)
    if posted.status_code != 200:
        return posted.text
    return httpx.get(f"{app_url}/gradio_api/call/{name}/{posted.json()['event_id']}", timeout=60).text


def test_quiz_stats_count_every_answer_and_the_callers_own(app_url):
    observer, player = Client(app_url, verbose=False), Client(app_url, verbose=False)  # new players: none answered yet
    before = observer.predict(api_name="/quiz_stats")
    player.predict("single", api_name="/quiz_new_round")
    player.predict("real", api_name="/quiz_answer")
    after, own = observer.predict(api_name="/quiz_stats"), player.predict(api_name="/quiz_stats")
    assert after["answers"] == before["answers"] + 1
    assert after["modes"]["single"]["answers"] == before["modes"]["single"]["answers"] + 1
    assert own["you"]["answers"] == 1 and before["you"]["answers"] == 0


def test_an_accounts_creations_survive_a_restart_and_others_cannot_sign_in(tmp_path):
    subprocess.run([sys.executable, "-m", "pipelines.common.accounts", "add", "ada"], cwd=ROOT, input="lovelace1843\n",
                   env={**os.environ, "GS_DATA_DIR": str(tmp_path)}, check=True, capture_output=True, text=True, timeout=120)
    process, url = start_app(tmp_path, GS_SIGN_IN="password")
    try:
        with pytest.raises(Exception):
            Client(url, auth=("ada", "wrong password"), verbose=False)
        with pytest.raises(Exception):
            Client(url, auth=("nobody", "lovelace1843"), verbose=False)
        made = Client(url, auth=("ada", "lovelace1843"), verbose=False).predict(
            "green apple", model="emoji-diffusion", steps=2, seed=5, api_name="/text_to_image")
    finally:
        os.kill(process.pid, signal.SIGKILL)  # no goodbye: what was acknowledged must already be on disk
        process.wait(timeout=30)
    again, url = start_app(tmp_path, GS_SIGN_IN="password")
    try:
        kept = Client(url, auth=("ada", "lovelace1843"), verbose=False).predict(api_name="/history")  # a new session
        assert kept["total"] == 1 and kept["items"][0]["settings"]["seed"] == made["seeds"][0]
    finally:
        again.kill()
        again.wait(timeout=30)
