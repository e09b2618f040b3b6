"""Bounded memory (issue 12): new sessions and image bombs must not grow the server without bound.

The app runs in this test process (conftest's app_url), so its resident memory is ours to read.
"""

from __future__ import annotations

import gc
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tests.hostile import image_bomb

SESSIONS = 2_000
BOMBS = 20
# Stated bounds. Each session Gradio keeps costs ~0.3 MiB, and app.SESSION_CAPACITY (400) of them are kept:
# at most ~120 MiB however many come; without the cap 2,000 sessions cost ~640 MiB. A decoded bomb would
# cost ≥ 144 MB (12,000² grey pixels) each.
SESSION_GROWTH_MIB = 200
BOMB_GROWTH_MIB = 60


def rss_mib() -> float:
    gc.collect()
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def new_session_ping(http: httpx.Client, url: str) -> None:
    """One raw call without a session id: the server makes a new session for it."""
    event = http.post(f"{url}/gradio_api/call/ping", json={"data": []}).json()["event_id"]
    assert "ok" in http.get(f"{url}/gradio_api/call/ping/{event}").text


def test_sessions_are_capped_and_memory_stays_bounded(app_url):
    import app

    with httpx.Client(timeout=60) as http:
        for _ in range(50):  # warm up: the first calls allocate lasting buffers
            new_session_ping(http, app_url)
        before, start = rss_mib(), time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: new_session_ping(http, app_url), range(SESSIONS)))
    after = rss_mib()
    kept = len(app.demo.state_holder.session_data)
    print(f"\n{SESSIONS} new sessions in {time.monotonic() - start:.0f} s: RSS {before:.0f} → {after:.0f} MiB "
          f"(+{after - before:.0f}); sessions kept {kept} (cap {app.SESSION_CAPACITY})")
    assert kept <= app.SESSION_CAPACITY
    assert after - before < SESSION_GROWTH_MIB


def test_image_bombs_are_refused_before_decoding(app_url, tmp_path):
    bomb = handle_file(str(image_bomb(tmp_path / "bomb.png")))
    clients = [Client(app_url, verbose=False) for _ in range(4)]
    before = rss_mib()

    def send(i: int) -> str:
        with pytest.raises(AppError) as caught:
            clients[i % 4].predict(bomb, "fashion-mnist", api_name="/latent_nearest")
        return str(caught.value)

    with ThreadPoolExecutor(4) as pool:  # four at once, as in the issue
        messages = list(pool.map(send, range(BOMBS)))
    after = rss_mib()
    print(f"\n{BOMBS} image bombs (12,000 × 12,000 declared, 140 kB each): RSS {before:.0f} → {after:.0f} MiB (+{after - before:.0f})")
    assert all("pixels" in m for m in messages)
    assert after - before < BOMB_GROWTH_MIB
