"""A throwaway PostgreSQL server for the tests and the benchmark: Debian's `postgresql` (installed by `make test` or
`make postgres`), started in a temporary folder on a free port and deleted afterwards.

    with PostgresServer() as server:      # initdb, start, CREATE DATABASE studio
        server.url                        # postgresql+psycopg://postgres@127.0.0.1:PORT/studio
        server.stop(); server.start()     # a restart, for the fault tests

PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (the package creates it), in a
folder it owns; as anyone else, as that user. Missing binaries are an error that says what to run, never a skip:
the suite's claims about PostgreSQL would otherwise pass without being tested.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

DATABASE = "studio"
INSTALL_HINT = ("PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb, Debian's `postgresql` "
                "package): run `make test` (which installs it) or `make postgres`")


class PostgresMissing(RuntimeError):
    pass


def bin_dir() -> Path:
    """The newest installed /usr/lib/postgresql/<version>/bin (Debian's layout; no version hard-coded)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [p for p in found if (p / "pg_ctl").exists() and (p / "postgres").exists()]
    if not found:
        raise PostgresMissing(INSTALL_HINT)
    return max(found, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0])


def free_port() -> int:
    from tests.conftest import free_port as port

    return port()


class PostgresServer:
    """One server in its own temporary folder (data, socket and log), reachable on 127.0.0.1:`port`."""

    def __init__(self, settings: Optional[dict[str, str]] = None) -> None:
        self.bin = bin_dir()
        self.port = free_port()
        self.settings = settings or {}  # extra `-c name=value` (e.g. the benchmark's defaults stay as they are)
        self.root = Path(tempfile.mkdtemp(prefix="gs-postgres-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresMissing(f"there is no `postgres` user to run the server as root; {INSTALL_HINT}") from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        result = subprocess.run([*self.as_user, str(self.bin / tool), *args], cwd=self.root, capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
                               f"\n{log}")

    def init(self) -> "PostgresServer":
        # --no-sync: a throwaway cluster need not wait for the disk while it is created
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                  "--locale=C")
        self.start()
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        return self

    def start(self) -> None:
        options = [f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1",
                   *(f"-c {name}={value}" for name, value in self.settings.items())]
        self._run("pg_ctl", "-D", str(self.data), "-o", " ".join(options), "-l", str(self.log), "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        result = subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"],
                                capture_output=True, cwd=self.root)
        return result.returncode == 0

    def disk_bytes(self, database: str = DATABASE) -> int:
        """pg_database_size of `database`: its tables, indexes and TOAST (the files kept in it) on disk."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database) as connection:
            return int(connection.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    def close(self) -> None:
        try:
            if self.data.exists() and self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        try:
            return self.init()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running throwaway server for the whole session (a missing installation fails, saying what to run)."""
    try:
        server, missing = PostgresServer(), None
    except PostgresMissing as exc:
        server, missing = None, str(exc)
    if missing:
        pytest.fail(missing, pytrace=False)
    with server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of the session's throwaway database `studio`."""
    return postgres_server.url


def wait_until(condition, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
