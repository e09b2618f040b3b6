"""Who a request acts for: anonymous browsers, Hugging Face accounts, this app's own accounts, and the page
sessions bound to them. Gradio gives every page (and every API client) a session hash; the page binds it to
its user when it loads (bind_session), and each event after that finds its user from it (user_for_session).

Passwords are kept only as scrypt hashes (hashlib.scrypt: salted, memory-hard); a wrong name and a wrong password
cost the same time and get the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Optional

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipelines.common.store.database import Database
from pipelines.common.store.tables import Item, Note, PageSession, QuizAnswer, User
from pipelines.common.validation import UserInputError, quote

ANON, HF, PASSWORD = "anon", "hf", "password"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SCRYPT = dict(n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)  # ~50 ms and 16 MiB per check


def new_id() -> str:
    return secrets.token_urlsafe(24)


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    given = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                           maxmem=SCRYPT["maxmem"], dklen=len(digest) // 2)
    return hmac.compare_digest(given.hex(), digest)


_NOBODY = hash_password("", salt=b"\0" * 16)  # checked against when the name is unknown: the same time either way


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise UserInputError("account.name", f"an account name is 1–64 letters, digits, '.', '_' or '-', starting with a "
                             f"letter or digit; got {quote(name)}", "계정 이름은 영문자나 숫자로 시작하는 1–64자의 영문자, "
                             "숫자, '.', '_', '-'여야 합니다. 받은 값: {value}", value=quote(name))
    return name


def _user(session: Session, kind: str, name: str, create: bool) -> Optional[User]:
    user = session.scalars(select(User).where(User.kind == kind, User.name == name)).first()
    if user is None and create:
        now = time.time()
        user = User(id=new_id(), kind=kind, name=name, created=now, seen=now)
        session.add(user)
        session.flush()
    return user


def retried(action):
    """Run `action` again once if a concurrent request created the same user or session first."""
    try:
        return action()
    except IntegrityError:
        return action()


def _token_name(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # the database never holds the browser's secret itself


class Users:
    def __init__(self, database: Database) -> None:
        self.db = database

    # -- accounts ("password" mode) ------------------------------------------------------------------
    def add_account(self, name: str, password: str) -> None:
        check_name(name)
        if len(password) < 8:
            raise UserInputError("account.short", "a password needs at least 8 characters",
                                 "비밀번호는 8자 이상이어야 합니다.")
        with self.db.session() as s:
            user = _user(s, PASSWORD, name, create=True)
            user.password_hash = hash_password(password)

    def remove_account(self, name: str) -> bool:
        with self.db.session() as s:
            return s.execute(delete(User).where(User.kind == PASSWORD, User.name == name)).rowcount > 0

    def accounts(self) -> list[tuple[str, int]]:
        """(name, number of kept items) of every account."""
        with self.db.session() as s:
            users = s.scalars(select(User).where(User.kind == PASSWORD).order_by(User.name)).all()
            return [(u.name, s.query(Item).filter(Item.user_id == u.id).count()) for u in users]

    def check_password(self, name: str, password: str) -> bool:
        with self.db.session() as s:
            user = _user(s, PASSWORD, name, create=False) if isinstance(name, str) else None
            stored = user.password_hash if user and user.password_hash else _NOBODY
        return password_matches(password if isinstance(password, str) else "", stored) and user is not None

    # -- who a request is ----------------------------------------------------------------------------
    def named(self, kind: str, name: str) -> str:
        """The id of the account `name` of `kind` (created on first sight for "hf")."""
        return retried(lambda: self._named(kind, name))

    def _named(self, kind: str, name: str) -> str:
        with self.db.session() as s:
            user = _user(s, kind, name, create=kind != PASSWORD)
            if user is None:
                raise UserInputError("account.unknown", "no such account", "그런 계정이 없습니다.")
            user.seen = time.time()
            return user.id

    def browser(self, token: Optional[str]) -> tuple[str, str]:
        """(user id, token) of an anonymous browser: its token's user, or a new token and user for a browser that
        has none yet (or whose history expired)."""
        token = token if isinstance(token, str) and 20 <= len(token) <= 64 else secrets.token_urlsafe(32)

        def find() -> str:
            with self.db.session() as s:
                user = _user(s, ANON, _token_name(token), create=True)
                user.seen = time.time()
                return user.id
        return retried(find), token

    def bind_session(self, session_hash: str, user_id: str) -> None:
        def bind() -> None:
            with self.db.session() as s:
                s.merge(PageSession(session_hash=session_hash[:128], user_id=user_id, seen=time.time()))
        retried(bind)

    def user_for_session(self, session_hash: str) -> str:
        """The user a page session was bound to; a session never bound (an API client) gets an anonymous user
        of its own, so its creations are its history for as long as it keeps that session."""
        return retried(lambda: self._user_for_session(session_hash))

    def _user_for_session(self, session_hash: str) -> str:
        with self.db.session() as s:
            bound = s.get(PageSession, session_hash[:128])
            if bound is not None:
                return bound.user_id
            user = _user(s, ANON, _token_name("session:" + session_hash), create=True)
            s.add(PageSession(session_hash=session_hash[:128], user_id=user.id, seen=time.time()))
            return user.id

    def adopt(self, from_user: str, to_user: str) -> int:
        """Signing in: the browser's anonymous creations and quiz answers become the account's; returns how many."""
        if from_user == to_user:
            return 0
        with self.db.session() as s:
            moved = s.execute(update(Item).where(Item.user_id == from_user).values(user_id=to_user)).rowcount
            s.execute(update(QuizAnswer).where(QuizAnswer.user_id == from_user).values(user_id=to_user))
            return moved

    def shared_secret(self, name: str) -> str:
        """A random secret kept in the database under `name`, made on first use: the same in every replica."""
        def get() -> str:
            with self.db.session() as s:
                note = s.get(Note, f"secret.{name}")
                if note is None:
                    note = Note(key=f"secret.{name}", value=secrets.token_urlsafe(32))
                    s.add(note)
                return note.value
        return retried(get)

    def expire(self, days: float) -> int:
        """Delete anonymous users (their items and files with them) not seen for `days`; returns how many."""
        cutoff = time.time() - days * 86400
        with self.db.session() as s:
            s.execute(delete(PageSession).where(PageSession.seen < cutoff))
            return s.execute(delete(User).where(User.kind == ANON, User.seen < cutoff)).rowcount
