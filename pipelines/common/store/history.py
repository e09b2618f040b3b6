"""A user's creations: kept with their settings and files, listed newest first, opened, deleted, bounded.

    history = History(get_database())
    kept = history.keep(user_id, KeepRequest(kind="image", title="red apple", settings={...}, files=[path, ...]))
    page = history.list(user_id, ListRequest(page=0))
    history.delete(user_id, item_id)

Files are stored in the database itself, so any replica serves any creation whatever its own data folder holds.
Each user has a quota (items and bytes, GS_HISTORY_MAX_ITEMS / GS_HISTORY_MAX_MB): the oldest go first and
`Kept.dropped` says how many, for the user to be told. An id that is not the caller's gets the same answer as one
that does not exist.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pipelines.common.config import get_settings
from pipelines.common.store.database import Database
from pipelines.common.store.tables import Item, ItemFile
from pipelines.common.store.users import new_id
from pipelines.common.validation import UserInputError, check_choice, check_number, quote

KINDS = ("image", "image_to_image", "music", "latent")  # what the tabs keep; "open in its tab" knows each
ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what new_id() makes; anything else is no id at all
PAGE_SIZE = 24
MAX_PAGE = 10_000
MAX_TITLE = 120
MAX_SETTINGS_CHARS = 20_000  # a request's settings are a few hundred characters; this bounds a hostile one


@dataclass(frozen=True)
class KeepRequest:
    kind: str
    title: str
    settings: dict[str, Any]
    files: tuple[tuple[str, Path], ...]  # (the name a download gets, where the file is now)

    def __post_init__(self) -> None:
        check_choice(self.kind, "kind", KINDS)
        if not self.files:
            raise ValueError("a creation needs at least one file")
        object.__setattr__(self, "files", tuple((safe_name(name), Path(path)) for name, path in self.files))


@dataclass(frozen=True)
class ListRequest:
    page: int = 0
    page_size: int = PAGE_SIZE
    files: str = "all"  # "all" of each creation's files, or its "preview" alone (its first PNG; none: no files)

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", int(check_number(self.page, "page", 0, MAX_PAGE, whole=True)))
        object.__setattr__(self, "page_size", int(check_number(self.page_size, "page_size", 1, 100, whole=True)))
        check_choice(self.files, "files", ("all", "preview"))


@dataclass
class Kept:
    item_id: str
    dropped: int = 0  # older creations removed to stay within the quota


@dataclass
class StoredFile:
    name: str
    data: bytes


@dataclass
class Creation:
    id: str
    kind: str
    title: str
    created: float
    settings: dict[str, Any]
    size: int
    files: list[StoredFile] = field(default_factory=list)


def not_found(item_id: Any) -> UserInputError:
    return UserInputError("history.missing", f"there is no creation {quote(item_id)} in your history (it may have been "
                          "deleted)", "기록에 {id} 항목이 없습니다(삭제되었을 수 있습니다).", id=quote(item_id))


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name)[-100:] or "file"


class History:
    def __init__(self, database: Database) -> None:
        self.db = database
        settings = get_settings()
        self.max_items, self.max_bytes = settings.history_max_items, settings.history_max_mb * 1024 * 1024

    def keep(self, user_id: str, request: KeepRequest) -> Kept:
        blobs = [(name, path.read_bytes()) for name, path in request.files]
        size = sum(len(data) for _, data in blobs)
        item = Item(id=new_id(), user_id=user_id, kind=request.kind, title=request.title[:MAX_TITLE],
                    created=time.time(), settings=_bounded(request.settings), size=size,
                    files=[ItemFile(position=i, name=name, data=data) for i, (name, data) in enumerate(blobs)])
        with self.db.session() as s:
            s.add(item)
            s.flush()
            dropped = self._within_quota(s, user_id, keep=item.id)
        return Kept(item.id, dropped)

    def _within_quota(self, s, user_id: str, keep: str) -> int:
        """Delete the user's oldest creations beyond the quota (never the one just kept); returns how many."""
        rows = s.execute(select(Item.id, Item.size).where(Item.user_id == user_id)
                         .order_by(Item.created.desc(), Item.id)).all()
        total, doomed = 0, []
        for index, (item_id, size) in enumerate(rows):
            total += size
            if item_id != keep and (index >= self.max_items or total > self.max_bytes):
                doomed.append(item_id)
        for item_id in doomed:
            s.delete(s.get(Item, item_id))
        return len(doomed)

    def list(self, user_id: str, request: ListRequest = ListRequest()) -> tuple[list[Creation], int]:
        """One page of the user's creations, newest first, with their files (or their previews alone), and how many
        they have in all."""
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(Item).where(Item.user_id == user_id))
            query = (select(Item).where(Item.user_id == user_id).order_by(Item.created.desc(), Item.id)
                     .offset(request.page * request.page_size).limit(request.page_size))
            if request.files == "all":
                return [_creation(i) for i in s.scalars(query.options(selectinload(Item.files))).all()], total
            creations = [_creation(i, with_files=False) for i in s.scalars(query).all()]
            previews = self._previews(s, [c.id for c in creations])
            for creation in creations:
                creation.files = previews.get(creation.id, [])
            return creations, total

    @staticmethod
    def _previews(s, item_ids: list[str]) -> dict[str, list[StoredFile]]:
        """Each item's first PNG, read without its other files (a piece's audio is 20 times its roll)."""
        first = (select(ItemFile.item_id, func.min(ItemFile.position).label("position"))
                 .where(ItemFile.item_id.in_(item_ids), ItemFile.name.like("%.png")).group_by(ItemFile.item_id).subquery())
        rows = s.execute(select(ItemFile.item_id, ItemFile.name, ItemFile.data)
                         .join(first, (ItemFile.item_id == first.c.item_id) & (ItemFile.position == first.c.position)))
        return {item_id: [StoredFile(name, data)] for item_id, name, data in rows}

    def get(self, user_id: str, item_id: Any) -> Creation:
        with self.db.session() as s:
            item = self._owned(s, user_id, item_id)
            return _creation(item)

    def delete(self, user_id: str, item_id: Any) -> Creation:
        """Delete one of the user's creations; returns what it was (read and deleted in one transaction)."""
        with self.db.session() as s:
            item = self._owned(s, user_id, item_id)
            creation = _creation(item)
            s.delete(item)
            return creation

    def usage(self, user_id: str) -> tuple[int, int]:
        """(items, bytes) the user keeps."""
        with self.db.session() as s:
            count, size = s.execute(select(func.count(), func.coalesce(func.sum(Item.size), 0))
                                    .where(Item.user_id == user_id)).one()
            return count, size

    @staticmethod
    def _owned(s, user_id: str, item_id: Any) -> Item:
        item = s.get(Item, item_id) if isinstance(item_id, str) and ITEM_ID.match(item_id) else None
        if item is None or item.user_id != user_id:  # someone else's: the same answer as none at all
            raise not_found(item_id)
        return item


def _creation(item: Item, with_files: bool = True) -> Creation:
    return Creation(item.id, item.kind, item.title, item.created, item.settings, item.size,
                    [StoredFile(f.name, f.data) for f in item.files] if with_files else [])


def _bounded(settings: dict[str, Any]) -> dict[str, Any]:
    import json

    text = json.dumps(settings, default=str, ensure_ascii=False)
    return json.loads(text) if len(text) <= MAX_SETTINGS_CHARS else {"note": "settings too large to keep"}
