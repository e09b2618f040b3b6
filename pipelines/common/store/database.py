"""The one database: SQLite in the data folder by default, PostgreSQL (or any SQLAlchemy URL) through
GS_DATABASE_URL. Every replica of the app opens the same one; the schema follows the migrations in
migrations/versions/ (Alembic), applied at start-up, so an upgrade never drops anyone's history.

    db = get_database()
    with db.session() as s:      # one transaction: committed on leaving, rolled back on an error
        s.add(...)

A database that cannot be reached (down, restarting, a full disk) is said as a sentence, never as the driver's
text: `StorageUnavailable` (a UserInputError) for the page and the API; the next request tries again, so the app
recovers by itself when the database is back (pool_pre_ping replaces connections the restart broke).
"""

from __future__ import annotations

import fcntl
import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from pipelines.common.config import get_settings
from pipelines.common.validation import UserInputError, quote

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_FILE = "studio.sqlite3"
log = logging.getLogger("generative_studio")


class StorageUnavailable(UserInputError):
    def __init__(self) -> None:
        super().__init__("storage.unavailable", "your history cannot be reached just now (the database is not "
                         "answering); what you make is still shown, and this works again once it is back",
                         "지금은 기록 저장소에 연결할 수 없습니다(데이터베이스가 응답하지 않습니다). 만든 결과는 그대로 "
                         "보이며, 저장소가 돌아오면 다시 됩니다.")


class StorageUnwritable(UserInputError):
    """The data folder of a SQLite database cannot be written (a read-only disk, a file in the way, permissions)."""

    def __init__(self, path: Path) -> None:
        super().__init__("storage.unwritable", f"the app cannot save to its data folder ({quote(str(path))}), so "
                         "nothing is kept right now (results are still shown); the host can fix the folder's "
                         "permissions or set GS_DATA_DIR", "앱이 데이터 폴더({path})에 저장할 수 없어 지금은 아무것도 "
                         "보관되지 않습니다(결과는 그대로 보입니다). 관리자가 폴더 권한을 고치거나 GS_DATA_DIR을 설정해야 "
                         "합니다.", path=quote(str(path)))


def database_url() -> str:
    """GS_DATABASE_URL, else SQLite in the data folder."""
    settings = get_settings()
    return settings.database_url or f"sqlite:///{settings.data_dir / SQLITE_FILE}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # timeout: a writer waits for another's commit instead of failing at once (threads and processes alike)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping: a connection the database's restart broke is replaced before use, not handed to a request;
    # connect_timeout: an unreachable server is said within seconds, not after the OS's minutes
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=10,
                         connect_args={"connect_timeout": 5} if url.startswith("postgresql") else {})


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA foreign_keys=ON")  # deleting a user deletes their items, an item its files
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there). Processes starting together take turns:
    on PostgreSQL through an advisory lock (migrations/env.py), on SQLite through a lock on a file beside it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _file_lock(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrating", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the process dies
        yield


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        folder = Path(self.engine.url.database or ".").parent if self.engine.url.get_backend_name() == "sqlite" else None
        try:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
            migrate(self.engine)
        except (OperationalError, DBAPIError, OSError) as exc:
            self.engine.dispose()
            log.warning("database unavailable: %s", str(exc).splitlines()[0][:200])
            raise (StorageUnwritable(folder) if folder is not None else StorageUnavailable()) from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; the database's own errors become StorageUnavailable (a sentence)."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except IntegrityError:  # two requests creating the same row at once: the caller retries (users.py)
            raise
        except (OperationalError, DBAPIError, PoolTimeout) as exc:  # PoolTimeout: every connection busy for 10 s
            log.warning("database error: %s", str(exc).splitlines()[0][:200])
            raise StorageUnavailable() from None

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except (OperationalError, DBAPIError):
            return False

    def where(self) -> str:
        """The database, for the host's log (a PostgreSQL URL without its password)."""
        return self.engine.url.render_as_string(hide_password=True)


_database: Optional[Database] = None
_opening = threading.Lock()  # the page's load events arrive together: one of them opens (and migrates) the database


def get_database() -> Database:
    """The process's database, opened (and migrated) on first use; raises StorageUnavailable while it cannot be
    reached, and tries again on the next call."""
    global _database
    with _opening:
        if _database is None:
            _database = Database(database_url())
    return _database


def reset_database() -> None:
    """Forget the opened database (tests that change GS_DATABASE_URL or GS_DATA_DIR)."""
    global _database
    if _database is not None:
        _database.engine.dispose()
    _database = None
