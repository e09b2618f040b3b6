"""Totals across all players, and each player's own, in the app's one database (pipelines/common/store).

Every answer is a row, committed before the player sees the result; totals are counts over the rows, so two
replicas answering at once stay exact (no read-modify-write). Answers kept by an older version in
face_quiz.sqlite3 are imported once. Resetting is an admin action (this module's CLI), never a side effect.

    python -m pipelines.face_quiz.stats            # show the totals
    python -m pipelines.face_quiz.stats --reset    # delete every recorded answer
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sqlalchemy import Integer, delete, func, select
from sqlalchemy.exc import IntegrityError

from pipelines.common.config import get_settings
from pipelines.common.store.database import Database, StorageUnwritable, get_database
from pipelines.common.store.tables import Note, QuizAnswer
from pipelines.common.validation import UserInputError

LEGACY_FILE = "face_quiz.sqlite3"  # where versions before the shared database kept the answers


@dataclass
class Totals:
    answers: int
    correct: int

    @property
    def percent(self) -> Optional[float]:
        return 100.0 * self.correct / self.answers if self.answers else None


def unwritable(path: Path) -> UserInputError:
    """The sentence for a data folder the app cannot write to (a read-only disk, a folder of another user)."""
    return StorageUnwritable(path)


class QuizStats:
    """The answers in `database` (default: the app's). A path opens SQLite there (tests, the CLI on a file).
    Raises `unwritable(...)` or StorageUnavailable (ValueErrors with a sentence) wherever storage refuses."""

    def __init__(self, database: Database | str | Path | None = None) -> None:
        if isinstance(database, (str, Path)):
            database = Database(f"sqlite:///{database}")
        self.db = database or get_database()
        import_legacy(self.db, get_settings().data_dir / LEGACY_FILE)

    def record(self, mode: str, correct: bool, player: Optional[str] = None) -> None:
        with self.db.session() as s:
            s.add(QuizAnswer(mode=mode, correct=bool(correct), answered=time.time(), user_id=player))

    def totals(self, mode: Optional[str] = None, player: Optional[str] = None) -> Totals:
        query = select(func.count(), func.coalesce(func.sum(func.cast(QuizAnswer.correct, Integer)), 0))
        if mode:
            query = query.where(QuizAnswer.mode == mode)
        if player:
            query = query.where(QuizAnswer.user_id == player)
        with self.db.session() as s:
            answers, correct = s.execute(query).one()
        return Totals(int(answers), int(correct))

    def reset(self) -> int:
        """Admin only: delete every answer; returns how many there were."""
        with self.db.session() as s:
            return s.execute(delete(QuizAnswer)).rowcount


def import_legacy(db: Database, path: Path) -> int:
    """Answers an older version kept in its own SQLite file, copied in once (a note records it); returns how many."""
    if not path.is_file():
        return 0
    # One note per file (by its content): each replica's old file is imported once, whoever starts first.
    key = "legacy_quiz:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    try:
        return _import(db, path, key)
    except IntegrityError:  # another replica imported the same file at the same moment
        return 0


def _import(db: Database, path: Path, key: str) -> int:
    with db.session() as s:
        if s.get(Note, key) is not None:
            return 0
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as old:
                rows = old.execute("SELECT mode, correct, answered_at FROM answers").fetchall()
        except sqlite3.Error:
            rows = []  # not the old quiz file after all: nothing to import
        s.add_all(QuizAnswer(mode=m, correct=bool(c), answered=t) for m, c, t in rows)
        s.add(Note(key=key, value=f"{len(rows)} answers from {path}"))
    return len(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reset", action="store_true", help="delete every recorded answer")
    args = p.parse_args()
    stats = QuizStats()
    if args.reset:
        print(f"deleted {stats.reset()} answers from {stats.db.where()}")
    totals = stats.totals()
    print(f"{stats.db.where()}: {totals.answers} answers, {totals.correct} right ({totals.percent or 0:.1f} %)")


if __name__ == "__main__":
    main()
