"""Totals across all players, in SQLite under the data directory.

WAL mode lets readers and one writer work at once; each call opens its own connection,
so concurrent answers from Gradio's worker threads are safe, and every answer is committed
before the player sees the result. Resetting is an admin action (this module's CLI), never
a side effect of the app.

    python -m pipelines.face_quiz.stats            # show the totals
    python -m pipelines.face_quiz.stats --reset    # delete every recorded answer
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from pipelines.common.config import get_settings
from pipelines.common.validation import UserInputError, quote

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode IN ('pair', 'single')),
    correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
    answered_at REAL NOT NULL
)
"""


@dataclass
class Totals:
    answers: int
    correct: int

    @property
    def percent(self) -> Optional[float]:
        return 100.0 * self.correct / self.answers if self.answers else None


def unwritable(path: Path) -> UserInputError:
    """The sentence for a data folder the app cannot write to (a read-only disk, a folder of another user)."""
    return UserInputError("storage.unwritable", f"the app cannot save to its data folder ({quote(str(path))}), so answers "
                          "are not recorded right now; the host can fix the folder's permissions or set GS_DATA_DIR",
                          "앱이 데이터 폴더({path})에 저장할 수 없어 지금은 답이 기록되지 않습니다. 관리자가 폴더 권한을 "
                          "고치거나 GS_DATA_DIR을 설정해야 합니다.", path=quote(str(path)))


class QuizStats:
    """Raises `unwritable(...)` (a ValueError with a sentence) wherever SQLite or the folder refuses."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else get_settings().data_dir / "face_quiz.sqlite3"
        with self._storage():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn, conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(SCHEMA)

    @contextmanager
    def _storage(self):
        try:
            yield
        except sqlite3.OperationalError as exc:  # SQLite's own text ("unable to open database file") is not for players
            if "locked" in str(exc) or "busy" in str(exc):  # another writer held it past the 30 s timeout
                raise UserInputError("storage.busy", "the answers could not be saved just now (the database is busy); "
                                     "please send the same guess again", "지금은 답을 저장하지 못했습니다(데이터베이스가 "
                                     "사용 중입니다). 같은 답을 다시 보내 주세요.") from None
            raise unwritable(self.path.parent) from None
        except OSError:
            raise unwritable(self.path.parent) from None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def record(self, mode: str, correct: bool) -> None:
        with self._storage(), closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO answers (mode, correct, answered_at) VALUES (?, ?, ?)", (mode, int(correct), time.time()))

    def totals(self, mode: Optional[str] = None) -> Totals:
        query = "SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM answers" + (" WHERE mode = ?" if mode else "")
        with self._storage(), closing(self._connect()) as conn:
            answers, correct = conn.execute(query, (mode,) if mode else ()).fetchone()
        return Totals(answers, correct)

    def reset(self) -> int:
        """Admin only: delete every answer; returns how many there were."""
        with closing(self._connect()) as conn, conn:
            return conn.execute("DELETE FROM answers").rowcount


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reset", action="store_true", help="delete every recorded answer")
    args = p.parse_args()
    stats = QuizStats()
    if args.reset:
        print(f"deleted {stats.reset()} answers from {stats.path}")
    totals = stats.totals()
    print(f"{stats.path}: {totals.answers} answers, {totals.correct} right ({totals.percent or 0:.1f} %)")


if __name__ == "__main__":
    main()
