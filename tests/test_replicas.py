"""Two replicas of the app on one PostgreSQL (#20): separate data folders, shared accounts, histories and quiz totals;
exact totals under concurrent answers to both; faults under load (a replica killed with `kill -9`, the database
restarted) lose nothing acknowledged and end in a sentence, never in driver text, and the app recovers by itself.

The server is a real one the tests start themselves (tests/postgres.py: Debian's `postgresql`, which `make test`
installs); the replicas are `python app.py` processes, started once for the module, with GS_SIGN_IN=password.
SQLite alone is tested by test_kill.py and test_api_history.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from pipelines.common.store.database import SQLITE_FILE, Database, StorageUnavailable
from pipelines.face_quiz.stats import QuizStats
from pipelines.text_to_image.metadata import read_settings
from tests.conftest import free_port
from tests.postgres import PostgresServer, postgres_server, postgres_url, wait_until  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
ALICE, BOB = ("alice", "alice's password 1"), ("bob", "bob's password 22")
DOWN = str(StorageUnavailable())  # what a request gets while the database is not answering
DRIVER_WORDS = ("Traceback", "psycopg", "sqlalchemy", "OperationalError", "DBAPIError", "connection", "server closed",
                "127.0.0.1", "5432")


@dataclass
class Replica:
    name: str
    process: subprocess.Popen
    url: str
    data_dir: Path
    log: Path
    killed: threading.Event = field(default_factory=threading.Event)  # set just before the test kills it

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def launch(name: str, data_dir: Path, database_url: str) -> tuple[subprocess.Popen, str, Path]:
    port, log = free_port(), data_dir.parent / f"{name}.log"
    env = {**os.environ, "GS_DATA_DIR": str(data_dir), "GS_DATABASE_URL": database_url, "GS_SIGN_IN": "password",
           "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}", log


def wait_up(replica: Replica, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise AssertionError(f"replica {replica.name} exited ({replica.process.returncode}):\n{replica.tail()}")
        try:  # 401: up, and asking for an account
            if httpx.get(f"{replica.url}/gradio_api/info", timeout=5).status_code in (200, 401):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"replica {replica.name} did not start within {timeout:.0f} s:\n{replica.tail()}")


@pytest.fixture(scope="module")
def replicas(postgres_url, tmp_path_factory) -> list[Replica]:  # noqa: F811
    """Replicas A and B, started together on the same empty database (they migrate it in turns), each with its own
    data folder."""
    started = []
    for name in ("A", "B"):
        data_dir = tmp_path_factory.mktemp(f"replica-{name}")
        process, url, log = launch(name, data_dir, postgres_url)
        started.append(Replica(name, process, url, data_dir, log))
    try:
        for replica in started:
            wait_up(replica)
        yield started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.kill()
            replica.process.wait(timeout=30)


@pytest.fixture(scope="module")
def accounts(replicas, postgres_url) -> None:  # noqa: F811
    """alice and bob, made with the accounts CLI after both replicas are running (neither can have read them at start)."""
    for name, password in (ALICE, BOB):
        made = subprocess.run([sys.executable, "-m", "pipelines.common.accounts", "add", name], cwd=ROOT,
                              input=password + "\n", capture_output=True, text=True, timeout=120,
                              env={**os.environ, "GS_DATABASE_URL": postgres_url})
        assert made.returncode == 0, made.stderr
        assert "postgresql" in made.stdout and "@" in made.stdout  # it wrote to the shared server, not to a file


def answers_in(url: str) -> int:
    database = Database(url)
    try:
        return QuizStats(database).totals().answers
    finally:
        database.engine.dispose()


@dataclass
class Load:
    """Quiz players answering as fast as they can until stopped; what was acknowledged and what failed, per replica."""

    acked: dict[str, int] = field(default_factory=dict)
    acked_by: dict[str, int] = field(default_factory=dict)  # per account
    errors: list[tuple[str, float, str, str]] = field(default_factory=list)  # (replica, when, type, text)
    last_ok: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, replica: Replica, account: tuple[str, str], players: int, rounds: int | None = None,
              dies: bool = False) -> None:
        for _ in range(players):
            self.threads.append(threading.Thread(target=self.play, args=(replica, account, rounds, dies), daemon=True))
            self.threads[-1].start()

    def play(self, replica: Replica, account: tuple[str, str], rounds: int | None, dies: bool) -> None:
        try:
            player = Client(replica.url, auth=account, verbose=False)
        except Exception as exc:  # noqa: BLE001 (recorded, and the test fails on it)
            with self.lock:
                self.errors.append((replica.name, time.monotonic(), type(exc).__name__, f"sign-in: {exc}"))
            return
        done = 0
        while not self.stop.is_set() and (rounds is None or done < rounds):
            try:
                player.predict("pair", api_name="/quiz_new_round")
                player.predict("left", api_name="/quiz_answer")
            except Exception as exc:  # noqa: BLE001
                if dies and replica.killed.is_set():
                    return  # its server was killed under it: expected
                with self.lock:
                    self.errors.append((replica.name, time.monotonic(), type(exc).__name__, str(exc)))
                time.sleep(0.2)
                continue
            done += 1
            with self.lock:  # the server said it counted
                self.acked[replica.name] = self.acked.get(replica.name, 0) + 1
                self.acked_by[account[0]] = self.acked_by.get(account[0], 0) + 1
                self.last_ok[replica.name] = time.monotonic()

    def total(self) -> int:
        with self.lock:
            return sum(self.acked.values())

    def join(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.threads), "a quiz player is still stuck in a request"

    def finish(self) -> None:
        self.stop.set()
        self.join()


def test_two_replicas_share_accounts_and_histories(replicas, accounts):
    a, b = replicas
    for replica in (a, b):  # the account the CLI made after start-up: known to both, and only with its password
        with pytest.raises(Exception):
            Client(replica.url, auth=(ALICE[0], "not alice's password"), verbose=False)
        with pytest.raises(Exception):
            Client(replica.url, auth=("nobody", ALICE[1]), verbose=False)
    alice_a, alice_b = (Client(r.url, auth=ALICE, verbose=False) for r in (a, b))
    bob_a, bob_b = (Client(r.url, auth=BOB, verbose=False) for r in (a, b))

    made = alice_a.predict("red heart", model="emoji-diffusion", steps=2, seed=11, api_name="/text_to_image")
    listed = alice_b.predict(api_name="/history")  # the other replica, its own data folder
    assert listed["total"] == 1
    newest = listed["items"][0]
    assert newest["kind"] == "image" and newest["title"] == "red heart" and newest["settings"]["seed"] == made["seeds"][0]
    downloaded = Path(newest["files"][0])  # served by B, out of the database
    assert downloaded.read_bytes() == Path(made["images"][0]).read_bytes()
    assert read_settings(downloaded)["prompt"] == "red heart"
    assert alice_a.predict(api_name="/history")["items"][0]["id"] == newest["id"]

    for bob in (bob_a, bob_b):  # another account sees none of it, on either replica
        assert bob.predict(api_name="/history")["total"] == 0
        with pytest.raises(AppError, match="no creation"):
            bob.predict(newest["id"], api_name="/history_delete")
    assert alice_b.predict(api_name="/history")["total"] == 1
    for replica in (a, b):  # each data folder holds served files only: the database is the shared server
        assert not (replica.data_dir / SQLITE_FILE).exists()


def test_quiz_totals_stay_exact_under_concurrent_answers_to_both(replicas, accounts, postgres_url):  # noqa: F811
    a, b = replicas
    watchers = [Client(r.url, auth=account, verbose=False) for r, account in ((a, ALICE), (b, BOB))]
    before = [w.predict(api_name="/quiz_stats") for w in watchers]
    assert before[0]["answers"] == before[1]["answers"] == answers_in(postgres_url)

    load = Load()
    for replica in (a, b):  # both accounts on both replicas, three players each
        load.start(replica, ALICE, players=3, rounds=8)
        load.start(replica, BOB, players=3, rounds=8)
    load.join(timeout=180)
    assert not load.errors, load.errors[:3]
    assert load.total() == 2 * 2 * 3 * 8

    after = [w.predict(api_name="/quiz_stats") for w in watchers]
    for seen in after:  # the same exact totals from either replica, and in the database itself
        assert seen["answers"] == before[0]["answers"] + load.total()
        assert seen["modes"]["pair"]["answers"] == before[0]["modes"]["pair"]["answers"] + load.total()
    assert answers_in(postgres_url) == before[0]["answers"] + load.total()
    # each account's own totals, counted on one replica from answers given on both
    assert after[0]["you"]["answers"] == before[0]["you"]["answers"] + load.acked_by["alice"]
    assert after[1]["you"]["answers"] == before[1]["you"]["answers"] + load.acked_by["bob"]


def test_a_database_restart_under_load_is_a_sentence_and_the_app_recovers(replicas, accounts, postgres_server):  # noqa: F811
    a, b = replicas
    url = postgres_server.url
    before = answers_in(url)
    load = Load()
    try:
        for replica in (a, b):
            load.start(replica, ALICE, players=2)
        assert wait_until(lambda: len(load.acked) == 2 and load.total() >= 10, timeout=60), load.errors[:3]

        postgres_server.stop("fast")  # every open connection of both replicas is cut
        down = time.monotonic()
        try:
            assert wait_until(lambda: {e[0] for e in load.errors if e[1] > down} == {"A", "B"}, timeout=60)
            time.sleep(1.0)  # a few more requests into the outage
        finally:
            postgres_server.start()
        up = time.monotonic()
        # the same processes answer again, with no restart of their own
        assert wait_until(lambda: all(load.last_ok.get(r.name, 0) > up for r in (a, b)), timeout=60), \
            (load.errors[-3:], a.tail()[-1500:])
    finally:
        load.finish()

    assert a.process.poll() is None and b.process.poll() is None
    assert load.errors, "no request met the outage"
    for replica, _, kind, text in load.errors:  # a plain sentence, never the driver's text
        assert kind == "AppError" and text == DOWN, (replica, kind, text)
        assert not any(word in text for word in DRIVER_WORDS), text
    after = answers_in(url)
    # every acknowledged answer is there; an answer whose reply was lost in the cut may be there too
    assert before + load.total() <= after <= before + load.total() + len(load.errors)
    for replica in (a, b):
        assert Client(replica.url, auth=BOB, verbose=False).predict(api_name="/quiz_stats")["answers"] == after


def test_a_replica_killed_under_load_loses_no_acknowledged_answer(replicas, accounts, postgres_url):  # noqa: F811
    a, b = replicas
    before = answers_in(postgres_url)
    load = Load()
    try:
        load.start(a, ALICE, players=2)
        load.start(b, BOB, players=3, dies=True)
        assert wait_until(lambda: load.acked.get("B", 0) >= 20 and load.acked.get("A", 0) >= 5, timeout=90), \
            load.errors[:3]
        b.killed.set()
        os.kill(b.process.pid, signal.SIGKILL)  # B's answers still in flight
        b.process.wait(timeout=30)
        killed = load.acked.get("A", 0)
        assert wait_until(lambda: load.acked.get("A", 0) >= killed + 5, timeout=60)  # A carries on regardless
    finally:
        load.finish()

    assert not load.errors, load.errors[:3]
    stored = answers_in(postgres_url)
    # all acknowledged answers are stored; at most one per B player was committed with its reply lost in the kill
    assert before + load.total() <= stored <= before + load.total() + 3
    assert Client(a.url, auth=ALICE, verbose=False).predict(api_name="/quiz_stats")["answers"] == stored
