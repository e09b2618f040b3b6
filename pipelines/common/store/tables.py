"""What the app keeps, as SQLAlchemy 2 tables: accounts and anonymous visitors, the page sessions bound to them,
their creations (with the files inside the database, so every replica can serve them), and the quiz's answers.

The schema is created and changed only by migrations (migrations/versions/); a change here needs a new one.
Times are UTC seconds since the epoch (floats): the same in SQLite and PostgreSQL, and cheap to compare.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ID_LENGTH = 32  # secrets.token_urlsafe(24): 192 random bits, never guessed nor enumerated


class Base(DeclarativeBase):
    pass


class User(Base):
    """Someone whose creations are kept: an anonymous browser ("anon"), a Hugging Face account ("hf") or an account
    of this app ("password"). Anonymous users are named by the hash of their browser's secret token."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[Optional[str]] = mapped_column(String(256))  # "password" accounts only (scrypt)
    created: Mapped[float] = mapped_column(Float)
    seen: Mapped[float] = mapped_column(Float, index=True)  # anonymous histories expire from this


class PageSession(Base):
    """A page (or API client) session of Gradio's queue, bound to its user at page load: every event of that page
    acts for that user without sending who it is."""

    __tablename__ = "page_sessions"
    session_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seen: Mapped[float] = mapped_column(Float, index=True)


class Item(Base):
    """One creation: what tab made it (`kind`), when, with what settings (seed included), and its files."""

    __tablename__ = "items"
    __table_args__ = (Index("ix_items_user_created", "user_id", "created"),)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    created: Mapped[float] = mapped_column(Float)
    settings: Mapped[dict] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(Integer)  # bytes of its files (the quota counts these)
    files: Mapped[list["ItemFile"]] = relationship(back_populates="item", cascade="all, delete-orphan",
                                                   passive_deletes=True, order_by="ItemFile.position")


class ItemFile(Base):
    __tablename__ = "item_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))  # what a download is called (image_0.png, piece.mid…)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    item: Mapped[Item] = relationship(back_populates="files")


class QuizAnswer(Base):
    """One guess in Which Face Is Real?: the all-players totals are sums over these, a player's score too."""

    __tablename__ = "quiz_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))
    correct: Mapped[bool] = mapped_column(Boolean)
    answered: Mapped[float] = mapped_column(Float)
    user_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)


class Note(Base):
    """One-off facts about this database (e.g. that the old quiz file was imported)."""

    __tablename__ = "notes"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
