"""The store behind "Keep what you make" (#20), on SQLite files of its own: creations kept and listed newest first,
private to their owner, bounded by a quota, adopted at sign-in, expired when anonymous; accounts; migrations."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from pipelines.common.store.database import Database, StorageUnavailable, StorageUnwritable
from pipelines.common.store.history import History, KeepRequest, ListRequest
from pipelines.common.store.tables import User
from pipelines.common.store.users import HF, PASSWORD, Users
from pipelines.face_quiz.stats import QuizStats, import_legacy
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'studio.sqlite3'}")


def a_file(folder: Path, name: str, size: int = 1000) -> Path:
    path = folder / name
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return path


def keep(history: History, user: str, folder: Path, title: str, size: int = 1000) -> str:
    request = KeepRequest("image", title, {"prompt": title, "seed": 7}, ((f"{title}.png", a_file(folder, f"{title}.png", size)),))
    return history.keep(user, request).item_id


def test_a_creation_is_kept_whole_and_listed_newest_first(db, tmp_path):
    history, user = History(db), Users(db).browser(None)[0]
    first = keep(history, user, tmp_path, "first")
    time.sleep(0.01)
    second = keep(history, user, tmp_path, "second")
    items, total = history.list(user)
    assert total == 2 and [i.id for i in items] == [second, first]
    assert items[0].settings == {"prompt": "second", "seed": 7}
    assert items[1].files[0].name == "first.png" and items[1].files[0].data == (tmp_path / "first.png").read_bytes()
    assert len(first) >= 32 and first != second  # 192 random bits: not guessed, not counted up to


def test_a_page_of_previews_reads_each_creations_first_png_alone(db, tmp_path):
    history, user = History(db), Users(db).browser(None)[0]
    files = [(name, a_file(tmp_path, name, 3000)) for name in ("piece.ogg", "piece.mid", "roll.png", "second.png")]
    music = history.keep(user, KeepRequest("music", "a piece", {}, tuple(files))).item_id
    silent = history.keep(user, KeepRequest("music", "no picture", {}, tuple(files[:2]))).item_id
    previews = {c.id: [f.name for f in c.files] for c in history.list(user, ListRequest(files="preview"))[0]}
    assert previews == {music: ["roll.png"], silent: []}
    whole = {c.id: [f.name for f in c.files] for c in history.list(user)[0]}
    assert whole[music] == ["piece.ogg", "piece.mid", "roll.png", "second.png"]
    with pytest.raises(ValueError, match="files"):
        ListRequest(files="thumbnails")
    assert history.delete(user, music).files[2].data == (tmp_path / "roll.png").read_bytes()  # what was deleted
    assert [c.id for c in history.list(user)[0]] == [silent]


def test_no_one_sees_or_deletes_another_users_creation(db, tmp_path):
    history, users = History(db), Users(db)
    alice, bob = users.browser(None)[0], users.browser(None)[0]
    item = keep(history, alice, tmp_path, "alice")
    assert history.list(bob) == ([], 0)
    with pytest.raises(ValueError) as foreign:
        history.get(bob, item)
    with pytest.raises(ValueError) as missing:
        history.get(bob, "x" * 32)
    assert str(foreign.value).replace(item, "ID") == str(missing.value).replace("x" * 32, "ID")  # the same answer
    with pytest.raises(ValueError, match="no creation"):
        history.delete(bob, item)
    assert history.get(alice, item).title == "alice"  # still there
    history.delete(alice, item)
    with pytest.raises(ValueError, match="no creation"):
        history.delete(alice, item)
    for bad in (None, 12, "", "a" * 10_000, ["x"]):
        with pytest.raises(ValueError, match="no creation"):
            history.get(alice, bad)


def test_the_quota_removes_the_oldest_first_and_says_how_many(db, tmp_path):
    history, user = History(db), Users(db).browser(None)[0]
    history.max_items, history.max_bytes = 3, 10_000
    kept = [keep(history, user, tmp_path, f"n{i}") for i in range(3)]
    fourth = history.keep(user, KeepRequest("image", "n3", {}, (("n3.png", a_file(tmp_path, "n3.png")),)))
    assert fourth.dropped == 1
    assert [i.title for i in history.list(user)[0]] == ["n3", "n2", "n1"]
    big = history.keep(user, KeepRequest("image", "big", {}, (("big.png", a_file(tmp_path, "big.png", 9_500)),)))
    assert big.dropped == 3 and [i.id for i in history.list(user)[0]] == [big.item_id]  # bytes count too
    assert history.usage(user) == (1, 9_500) and kept[0] not in [i.id for i in history.list(user)[0]]


def test_a_page_request_past_the_bounds_is_a_sentence(db):
    for bad in (-1, 10_001, 1.5, "two", None):
        with pytest.raises(ValueError, match="page"):
            ListRequest(page=bad)
    assert ListRequest(page=3).page == 3


def test_signing_in_adopts_the_browsers_creations_and_answers(db, tmp_path):
    users, history, stats = Users(db), History(db), QuizStats(db)
    anonymous, token = users.browser(None)
    assert users.browser(token)[0] == anonymous  # the same browser comes back to the same history
    keep(history, anonymous, tmp_path, "before")
    stats.record("pair", True, anonymous)
    account = users.named(HF, "someone")
    assert users.adopt(anonymous, account) == 1
    assert [i.title for i in history.list(account)[0]] == ["before"] and history.list(anonymous)[1] == 0
    assert stats.totals(player=account).answers == 1


def test_page_sessions_act_for_their_user_and_api_sessions_get_their_own(db):
    users = Users(db)
    browser_user, _ = users.browser(None)
    users.bind_session("page-1", browser_user)
    assert users.user_for_session("page-1") == browser_user
    client = users.user_for_session("api-client")
    assert client != browser_user and users.user_for_session("api-client") == client


def test_anonymous_histories_expire_accounts_do_not(db, tmp_path):
    users, history = Users(db), History(db)
    stale, fresh = users.browser(None)[0], users.browser(None)[0]
    account = users.named(HF, "kept")
    for user in (stale, fresh, account):
        keep(history, user, tmp_path, f"of-{user[:4]}")
    with db.session() as s:
        s.execute(update(User).where(User.id.in_([stale, account])).values(seen=time.time() - 40 * 86400))
    assert users.expire(30) == 1
    assert history.list(stale)[1] == 0 and history.list(fresh)[1] == 1 and history.list(account)[1] == 1


def test_accounts_keep_only_a_slow_salted_hash_and_refuse_alike(db):
    users = Users(db)
    users.add_account("alice", "correct horse")
    with db.session() as s:
        stored = s.query(User).filter_by(kind=PASSWORD, name="alice").one().password_hash
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert users.check_password("alice", "correct horse")
    assert not users.check_password("alice", "wrong") and not users.check_password("nobody", "correct horse")
    with pytest.raises(ValueError, match="8 characters"):
        users.add_account("bob", "short")
    with pytest.raises(ValueError, match="account name"):
        users.add_account("../etc", "long enough")
    assert users.remove_account("alice") and not users.check_password("alice", "correct horse")


def test_the_accounts_command_reads_the_password_from_standard_input(tmp_path):
    env = {"GS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}

    def accounts(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "pipelines.common.accounts", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=120)

    added = accounts("add", "carol", stdin="a long password\n")
    assert added.returncode == 0 and "carol" in added.stdout and "a long password" not in added.stdout
    assert "carol\t0 creations" in accounts("list").stdout
    assert accounts("add", "dave", stdin="short\n").returncode != 0
    assert Users(Database(f"sqlite:///{tmp_path / 'studio.sqlite3'}")).check_password("carol", "a long password")
    assert "Removed" in accounts("remove", "carol").stdout and "carol" not in accounts("list").stdout


def test_reopening_a_database_migrates_nothing_away(tmp_path):
    url = f"sqlite:///{tmp_path / 'studio.sqlite3'}"
    first = Database(url)
    user = Users(first).browser(None)[0]
    item = keep(History(first), user, tmp_path, "survivor")
    first.engine.dispose()
    again = Database(url)  # an upgrade or a restart: migrations run again, to no effect
    assert History(again).get(user, item).title == "survivor"
    with sqlite3.connect(tmp_path / "studio.sqlite3") as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)


def test_answers_of_the_old_quiz_file_are_imported_once(db, tmp_path):
    old = tmp_path / "face_quiz.sqlite3"
    with sqlite3.connect(old) as raw:
        raw.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, mode TEXT, correct INTEGER, answered_at REAL)")
        raw.executemany("INSERT INTO answers (mode, correct, answered_at) VALUES (?, ?, ?)",
                        [("pair", 1, 1.0), ("single", 0, 2.0), ("pair", 0, 3.0)])
    assert import_legacy(db, old) == 3 and import_legacy(db, old) == 0
    totals = QuizStats(db).totals()
    assert (totals.answers, totals.correct) == (3, 1)


def test_settings_too_large_are_not_kept_whole(db, tmp_path):
    history, user = History(db), Users(db).browser(None)[0]
    item = history.keep(user, KeepRequest("image", "t" * 500, {"x": "y" * 50_000}, (("a.png", a_file(tmp_path, "a.png")),)))
    kept = history.get(user, item.item_id)
    assert kept.settings == {"note": "settings too large to keep"} and len(kept.title) == 120


def test_a_database_that_cannot_be_opened_is_a_sentence(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way")
    with pytest.raises(StorageUnwritable, match="cannot save to its data folder") as refused:
        Database(f"sqlite:///{blocked / 'studio.sqlite3'}")
    assert "데이터 폴더" in refused.value.ko and "Errno" not in str(refused.value)
    with pytest.raises(StorageUnavailable, match="cannot be reached"):  # a server that does not answer
        Database(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/studio")
