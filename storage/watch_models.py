"""ORM models of the website watch: the sources it polls and every document it has seen on them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class SeenState(enum.StrEnum):
    """What became of a document found on a source.

    baseline: there at the source's first poll (history; only `watch backfill` imports it);
    duplicate: its content was seen before under another URL; found: downloaded, waiting to be offered (its bytes
    are kept until then, so a crash loses nothing); offered: the admins got the preview; imported: stored and
    scheduled (publish mode, or backfill); failed: unreadable, the admins were told once.
    """

    BASELINE = "baseline"
    DUPLICATE = "duplicate"
    FOUND = "found"
    OFFERED = "offered"
    IMPORTED = "imported"
    FAILED = "failed"


class WatchSource(Base):
    """A watched index page, feed or single document, with its polling state."""

    __tablename__ = "watch_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    every_seconds: Mapped[int] = mapped_column(Integer)
    match: Mapped[str | None] = mapped_column(Text, nullable=True)
    mode: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    from_config: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # False until the first successful poll recorded what was there (the baseline).
    primed: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_poll_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_poll_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_ok_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class WatchSeen(Base):
    """A document seen on a source, by URL and by content hash; the queue of what is still to be offered."""

    __tablename__ = "watch_seen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("watch_sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    found_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The downloaded bytes while the document waits to be offered (state found); cleared afterwards.
    filename: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id", ondelete="SET NULL"), nullable=True)
    published: Mapped[str | None] = mapped_column(Text, nullable=True)  # a feed entry's date, as given
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("source_id", "url", name="uq_watch_seen_source_url"),
        Index("ix_watch_seen_sha256", "sha256"),
        Index("ix_watch_seen_state", "state"),
    )
