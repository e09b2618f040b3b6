"""Keeping what users make (#20): quiz throughput on SQLite and on PostgreSQL, memory and disk for 1,000 creations.

    .venv/bin/python -m bench.history                       # about 5 minutes
    .venv/bin/python -m bench.history --players 8 --seconds 20 --items 1000

Measured in one run (the machines are noisy), every app a real `python app.py` process with GS_SIGN_IN=password:
1. Quiz answers per second through the HTTP API: `--players` gradio_client players (each its own process, signed in,
   `/quiz_new_round` then `/quiz_answer` as fast as it can for `--seconds`) on SQLite with one replica, on PostgreSQL
   (a throwaway Debian server, tests/postgres.py, default settings: fsync on) with the players split over two
   replicas, and with all of them on one. The database's row count is checked against the acknowledged answers.
   Beside it, the storage alone: as many threads calling QuizStats.record() in one process, no app in between.
2. 1,000 creations in one account: inserted through the History class (as a tab keeps them; the quota raised to hold
   them) with PNGs the app made itself (the embedded text-to-image model through /text_to_image, reused in turn),
   then a fresh app process lists every page of /history: its RSS before and after, its peak, the time per page,
   the database's disk (SQLite: the file and its WAL; PostgreSQL: pg_database_size's growth) and the copies the
   listing wrote to the served folder.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ACCOUNT = ("bench", "bench password 1")
MAKER = ("maker", "maker password 1")
PROMPTS = ("red heart", "green apple", "smiling cat", "blue car", "sun with sunglasses", "pizza slice", "rocket",
           "sleeping dog", "yellow star", "birthday cake", "snowman", "coffee cup")


def rss_mib(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


class App:
    """`python app.py` on a free port, its data and served files in `root`/<name>."""

    def __init__(self, name: str, root: Path, database_url: str, items: int) -> None:
        from tests.conftest import free_port

        self.data_dir, self.served = root / name / "data", root / name / "served"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.served.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {**os.environ, "GS_DATA_DIR": str(self.data_dir), "GS_DATABASE_URL": database_url, "GS_SIGN_IN": "password",
               "GS_HISTORY_MAX_ITEMS": str(items), "GS_HISTORY_MAX_MB": "1000", "GRADIO_TEMP_DIR": str(self.served),
               "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
        self.log = root / f"{name}.log"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out,
                                            stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"

    def wait(self, timeout: float = 240) -> "App":
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.url}/gradio_api/info", timeout=5).status_code in (200, 401):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the app did not start within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


# -- 1. quiz answers per second ---------------------------------------------------------------------------
def player(url: str, auth: tuple[str, str], barrier, seconds: float, results) -> None:
    """One player (its own process: the clients' own Python is not what is measured)."""
    from gradio_client import Client

    client = Client(url, auth=auth, verbose=False)
    client.predict("pair", api_name="/quiz_new_round")  # warm: one answer before the clock starts
    client.predict("left", api_name="/quiz_answer")
    barrier.wait()
    end, counted, acked, errors, rounds = time.monotonic() + seconds, 0, 1, 0, []
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            client.predict("pair", api_name="/quiz_new_round")
            client.predict("left", api_name="/quiz_answer")
        except Exception:  # noqa: BLE001 (counted; the run reports them)
            errors += 1
            continue
        acked += 1
        if time.monotonic() <= end:
            counted += 1
            rounds.append(time.monotonic() - start)
    results.put((counted, acked, errors, rounds))


def quiz_rate(urls: list[str], players: int, seconds: float, database_url: str) -> dict:
    """`players` players spread over `urls` for `seconds`: answers per second, round latency, the rows' check."""
    from pipelines.common.store.database import Database
    from pipelines.face_quiz.stats import QuizStats

    database = Database(database_url)
    before = QuizStats(database).totals().answers
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(players + 1), ctx.Queue()
    processes = [ctx.Process(target=player, args=(urls[i % len(urls)], ACCOUNT, barrier, seconds, results))
                 for i in range(players)]
    for process in processes:
        process.start()
    barrier.wait(timeout=300)
    outcomes = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    stored = QuizStats(database).totals().answers - before
    database.engine.dispose()
    counted, acked, errors = (sum(o[i] for o in outcomes) for i in range(3))
    rounds = sorted(r for o in outcomes for r in o[3])
    return {"rate": counted / seconds, "median_ms": 1000 * statistics.median(rounds),
            "p95_ms": 1000 * rounds[int(0.95 * (len(rounds) - 1))], "errors": errors, "acked": acked, "stored": stored}


def storage_rate(database_url: str, threads: int, seconds: float) -> float:
    """QuizStats.record() alone, from `threads` threads of one process for `seconds`: the storage's own ceiling."""
    import threading

    from pipelines.common.store.database import Database
    from pipelines.face_quiz.stats import QuizStats

    database = Database(database_url)
    stats, counts, end = QuizStats(database), [0] * threads, time.monotonic() + seconds

    def record(i: int) -> None:
        while time.monotonic() < end:
            stats.record("pair", i % 2 == 0)
            counts[i] += 1

    workers = [threading.Thread(target=record, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    database.engine.dispose()
    return sum(counts) / seconds


# -- 2. 1,000 creations ---------------------------------------------------------------------------------
def make_pool(url: str) -> list[tuple[Path, dict]]:
    """Real pictures with their settings: the embedded model through the app's API, one per prompt, every other one
    at twice its default size (its largest)."""
    from gradio_client import Client

    maker = Client(url, auth=MAKER, verbose=False)
    pool, default = [], None
    for i, prompt in enumerate(PROMPTS):
        size = {} if i % 2 == 0 else dict(width=2 * default, height=2 * default)
        made = maker.predict(prompt, model="emoji-diffusion", seed=i, **size, api_name="/text_to_image")
        default = default or made["settings"]["width"]
        pool.append((Path(made["images"][0]), made["settings"]))
    return pool


def keep_items(database_url: str, pool: list[tuple[Path, dict]], items: int) -> float:
    """`items` creations for ACCOUNT through the History class; returns the seconds it took."""
    from pipelines.common.store.database import Database
    from pipelines.common.store.history import History, KeepRequest
    from pipelines.common.store.users import PASSWORD, Users

    database = Database(database_url)
    user, history = Users(database).named(PASSWORD, ACCOUNT[0]), History(database)
    start = time.perf_counter()
    for i in range(items):
        path, settings = pool[i % len(pool)]
        kept = history.keep(user, KeepRequest(kind="image", title=settings.get("prompt", "picture"),
                                              settings={**settings, "seed": i}, files=((f"{path.stem}_{i}.png", path),)))
        assert kept.dropped == 0
    seconds = time.perf_counter() - start
    assert history.usage(user)[0] == items
    database.engine.dispose()
    return seconds


def list_everything(app: App) -> dict:
    """A signed-in client lists every page of /history on a fresh app process: RSS before, after, peak."""
    from gradio_client import Client

    client = Client(app.url, auth=ACCOUNT, verbose=False)
    client.predict(api_name="/quiz_stats")  # one small request first: the process as a visitor finds it
    idle, served = rss_mib(app.process.pid)[0], folder_bytes(app.served)
    first = client.predict(page=0, api_name="/history")
    times, listed = [], len(first["items"])
    for page in range(1, first["pages"]):
        start = time.perf_counter()
        listed += len(client.predict(page=page, api_name="/history")["items"])
        times.append(time.perf_counter() - start)
    after, peak = rss_mib(app.process.pid)
    return {"idle": idle, "after": after, "peak": peak, "listed": listed, "total": first["total"],
            "page_ms": 1000 * statistics.median(times), "served": folder_bytes(app.served) - served}


def add_accounts(database_url: str) -> None:
    from pipelines.common.store.database import Database
    from pipelines.common.store.users import Users

    database = Database(database_url)
    for name, password in (ACCOUNT, MAKER):
        Users(database).add_account(name, password)
    database.engine.dispose()


def sqlite_bytes(data_dir: Path) -> int:
    """The database file once its write-ahead log is folded in (and any log left over)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(data_dir / "studio.sqlite3")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(f.stat().st_size for f in data_dir.glob("studio.sqlite3*"))


def measure_sqlite(root: Path, args, apps: list) -> dict:
    """SQLite with one replica: quiz rate, then keeping and listing `args.items` creations."""
    sqlite_dir = root / "sqlite" / "data"
    sqlite_dir.mkdir(parents=True)
    url = f"sqlite:///{sqlite_dir / 'studio.sqlite3'}"
    add_accounts(url)
    apps.append(App("sqlite", root, "", args.items).wait())
    pool = make_pool(apps[-1].url)
    sizes = [p.stat().st_size / 1024 for p, _ in pool]
    print(f"picture pool: {len(pool)} PNGs from /text_to_image, {min(sizes):.1f}–{max(sizes):.1f} kB "
          f"(mean {statistics.mean(sizes):.1f} kB)", flush=True)
    quiz = quiz_rate([apps[-1].url], args.players, args.seconds, url)
    apps[-1].stop()
    quiz["storage"] = storage_rate(url, args.players, args.seconds / 4)
    empty = sqlite_bytes(sqlite_dir)
    keep = keep_items(url, pool, args.items)
    disk = sqlite_bytes(sqlite_dir) - empty
    apps.append(App("sqlite", root, "", args.items).wait())
    listed = list_everything(apps[-1])
    apps[-1].stop()
    print("SQLite:", quiz, keep, disk, listed, flush=True)
    return dict(quiz=quiz, keep=keep, disk=disk, list=listed, pool=pool, sizes=sizes)


def measure_postgres(root: Path, args, apps: list, pool: list) -> dict:
    """PostgreSQL: the quiz rate with two replicas and with one, then keeping and listing `args.items` creations."""
    from tests.postgres import PostgresServer

    with PostgresServer() as server:
        add_accounts(server.url)
        a, b = App("pg-a", root, server.url, args.items), App("pg-b", root, server.url, args.items)
        apps += [a.wait(), b.wait()]
        two = quiz_rate([a.url, b.url], args.players, args.seconds, server.url)
        one = quiz_rate([a.url], args.players, args.seconds, server.url)
        a.stop(), b.stop()
        two["storage"] = one["storage"] = storage_rate(server.url, args.players, args.seconds / 4)
        empty = server.disk_bytes()
        keep = keep_items(server.url, pool, args.items)
        disk = server.disk_bytes() - empty
        apps.append(App("pg-a", root, server.url, args.items).wait())
        listed = list_everything(apps[-1])
        apps[-1].stop()
    print("PostgreSQL:", two, one, keep, disk, listed, flush=True)
    return dict(quiz=two, quiz_one=one, keep=keep, disk=disk, list=listed)


def print_quiz(args, sqlite: dict, pg: dict) -> None:
    print(f"\n## Quiz answers per second ({args.players} players, {args.seconds:.0f} s each, {os.cpu_count()} CPUs; "
          "an answer = /quiz_new_round + /quiz_answer)\n")
    print("| database | replicas | answers/s | round median ms | p95 ms | errors | acknowledged | rows added | "
          "storage alone, records/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, replicas, q in (("SQLite", 1, sqlite["quiz"]), ("PostgreSQL", 2, pg["quiz"]), ("PostgreSQL", 1, pg["quiz_one"])):
        print(f"| {name} | {replicas} | {q['rate']:.1f} | {q['median_ms']:.0f} | {q['p95_ms']:.0f} | {q['errors']} | "
              f"{q['acked']} | {q['stored']} | {q['storage']:.0f} |")
    print(f"\nPostgreSQL with two replicas / SQLite with one: {pg['quiz']['rate'] / sqlite['quiz']['rate']:.2f}×; "
          f"PostgreSQL with one / SQLite with one: {pg['quiz_one']['rate'] / sqlite['quiz']['rate']:.2f}×; storage alone "
          f"({args.players} threads calling QuizStats.record, no app), PostgreSQL / SQLite: "
          f"{pg['quiz_one']['storage'] / sqlite['quiz']['storage']:.2f}×")


def print_history(args, sqlite: dict, pg: dict) -> None:
    mean_kb = statistics.mean(sqlite["sizes"])
    print(f"\n## {args.items} creations in one account (one PNG each, {mean_kb:.1f} kB mean; inserted through History)\n")
    print("| database | keep items/s | disk added MB | MB per 1,000 | app RSS before listing MiB | after every page | "
          "peak | median page ms | served copies MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, m in (("SQLite", sqlite), ("PostgreSQL", pg)):
        lst = m["list"]
        assert lst["listed"] == lst["total"] == args.items, lst
        print(f"| {name} | {args.items / m['keep']:.0f} | {m['disk'] / 2**20:.1f} | {m['disk'] / 2**20 * 1000 / args.items:.1f} | "
              f"{lst['idle']:.0f} | {lst['after']:.0f} | {lst['peak']:.0f} | {lst['page_ms']:.0f} | {lst['served'] / 2**20:.1f} |")
    pictures = args.items * mean_kb / 1024
    print(f"\nthe pictures themselves: {pictures:.1f} MB; disk / pictures: SQLite {sqlite['disk'] / 2**20 / pictures:.2f}×, "
          f"PostgreSQL {pg['disk'] / 2**20 / pictures:.2f}×; PostgreSQL / SQLite disk: {pg['disk'] / sqlite['disk']:.2f}×; "
          f"RSS growth from listing every page: SQLite {sqlite['list']['after'] - sqlite['list']['idle']:+.0f} MiB, "
          f"PostgreSQL {pg['list']['after'] - pg['list']['idle']:+.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()
    os.environ["GS_HISTORY_MAX_ITEMS"], os.environ["GS_HISTORY_MAX_MB"] = str(args.items), "1000"  # before settings load
    os.environ.pop("GS_DATABASE_URL", None)
    root = Path(tempfile.mkdtemp(prefix="gs-bench-history-"))
    apps: list[App] = []
    try:
        sqlite = measure_sqlite(root, args, apps)
        pg = measure_postgres(root, args, apps, sqlite["pool"])
    finally:
        for app in apps:
            app.stop()
        shutil.rmtree(root, ignore_errors=True)
    print_quiz(args, sqlite, pg)
    print_history(args, sqlite, pg)


if __name__ == "__main__":
    main()
