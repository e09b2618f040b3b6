"""`kill -9` in the middle of a load: no acknowledged quiz answer is lost, and the app starts again.

The app runs as its own process (python app.py), four players answer as fast as they can, and the
process is killed without warning while answers are in flight.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from gradio_client import Client

from pipelines.common.store.database import SQLITE_FILE
from pipelines.face_quiz.stats import QuizStats
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


def start_app(data_dir: Path, log: Path | None = None, **settings: str) -> tuple[subprocess.Popen, str]:
    """`python app.py` on a free port with its data in `data_dir` and other `settings` (GS_SIGN_IN="password", …);
    its output goes to `log` (or nowhere)."""
    port = free_port()
    env = {**os.environ, "GS_DATA_DIR": str(data_dir), "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", **settings}
    output = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/gradio_api/info", timeout=5).status_code in (200, 401):  # 401: a login comes first
                return process, url
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise AssertionError("the app did not start within 3 minutes")


def test_kill_9_mid_load_loses_no_acknowledged_answer(tmp_path):
    process, url = start_app(tmp_path)
    acknowledged, stop = [], threading.Event()

    def play() -> None:
        try:
            player = Client(url, verbose=False)
            while not stop.is_set():
                player.predict("pair", api_name="/quiz_new_round")
                player.predict("left", api_name="/quiz_answer")
                acknowledged.append(1)  # the server said it counted
        except Exception:  # the server died under us: expected
            pass

    players = [threading.Thread(target=play) for _ in range(4)]
    try:
        for thread in players:
            thread.start()
        deadline = time.monotonic() + 120
        while len(acknowledged) < 30 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)  # answers still in flight
        process.wait(timeout=30)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
        for thread in players:
            thread.join(timeout=60)
    assert len(acknowledged) >= 30
    assert QuizStats(tmp_path / SQLITE_FILE).totals().answers >= len(acknowledged)

    again, url = start_app(tmp_path)  # the database opens again after the kill
    try:
        assert Client(url, verbose=False).predict(api_name="/ping") == "ok"
    finally:
        again.kill()
        again.wait(timeout=30)
