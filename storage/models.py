"""ORM models of the archive (issues, their 要目 and articles) and of subscribers.

The full-text index (`article_search`) is dialect specific (an FTS5 virtual table on SQLite, a tsvector table on
PostgreSQL), so it is created by the migrations and written with SQL in storage/archive.py (read in
storage/search.py), not mapped here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base
from storage.types import UTCDateTime, utcnow


class IssueRow(Base):
    """One stored issue; (masthead, year_key, number) identifies a numbered issue, (masthead, date_key) a dated
    report without a number (number NULL: 每日动态, 工作周报).

    Newest first is (date_key, year_key, number_key, id) descending, read straight off ix_issues_newest_first.
    """

    __tablename__ = "issues"
    __table_args__ = (
        # A NULL number never collides here; dated reports are unique by masthead and date instead.
        UniqueConstraint("masthead", "year_key", "number", name="uq_issues_identity"),
        Index(
            "uq_issues_dated", "masthead", "date_key", unique=True,
            sqlite_where=text("number IS NULL"), postgresql_where=text("number IS NULL"),
        ),
        Index("ix_issues_newest_first", "date_key", "year_key", "number_key", "id"),
        Index("ix_issues_year_number", "year_key", "number_key", "date_key", "id"),
        Index("ix_issues_publication_newest_first", "publication_id", "date_key", "year_key", "number_key", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    masthead: Mapped[str] = mapped_column(Text)
    # The publication of this masthead (storage/publications.py), set whenever the masthead is written.
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    # year, or 0 when the issue line has none: a NULL would never collide in a unique constraint.
    year_key: Mapped[int] = mapped_column(Integer)
    # None for a dated report that prints no issue number.
    number: Mapped[int | None] = mapped_column(Integer)
    # number, or 0 when there is none: the sort key (a NULL sorts first or last depending on the dialect, and
    # breaks the row-value comparison that finds the previous issue).
    number_key: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # The printed week ("2023年第15周") and handling marks (内部资料) of the issue line, as parsed.
    week: Mapped[int | None] = mapped_column(Integer)
    marks: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))
    total_number: Mapped[int | None] = mapped_column(Integer, index=True)
    publisher: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)
    # date.toordinal(), or 0 when the issue has no date: undated issues sort last, and unlike coalesce(date, ...)
    # a stored column can be indexed. Set with date (storage.archive.date_key); the default only fills old rows.
    date_key: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Disambiguates issues of different mastheads sharing date, year and number in ArticleRow.search_key.
    rank_slot: Mapped[int] = mapped_column(Integer)
    footer: Mapped[list[str]] = mapped_column(JSON)
    warnings: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    toc_entries: Mapped[list[TocEntryRow]] = relationship(
        back_populates="issue", order_by="TocEntryRow.position", cascade="all, delete-orphan", passive_deletes=True
    )
    articles: Mapped[list[ArticleRow]] = relationship(
        back_populates="issue", order_by="ArticleRow.position", cascade="all, delete-orphan", passive_deletes=True
    )


class TocEntryRow(Base):
    """One 要目 entry of an issue (1-based position), with its section label if any."""

    __tablename__ = "toc_entries"
    __table_args__ = (UniqueConstraint("issue_id", "position", name="uq_toc_entries_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)

    issue: Mapped[IssueRow] = relationship(back_populates="toc_entries")


class ArticleRow(Base):
    """One article of an issue (1-based position); body is the paragraphs joined by newlines.

    search_key orders search results (newer issue first, then article order; see storage.archive.search_key) and
    is the rowid of the article in the SQLite full-text index. search_title is the folded title
    (storage.textindex.fold) that ranking compares with.
    """

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("issue_id", "position", name="uq_articles_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    search_key: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(Text)
    search_title: Mapped[str] = mapped_column(Text)
    # Last, so that reading the columns before it never touches the overflow pages of a long body.
    body: Mapped[str] = mapped_column(Text)

    issue: Mapped[IssueRow] = relationship(back_populates="articles")


class SubscriberRow(Base):
    """A chat that subscribed to the bulletin (private chat, group, supergroup or channel)."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Supergroup ids (-100...) need 52 bits.
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_type: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(Text)
    language_code: Mapped[str | None] = mapped_column(String(35))
    department: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    subscribed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deactivated_reason: Mapped[str | None] = mapped_column(Text)


class SeriesAliasRow(Base):
    """A correction the office made once to a series' masthead or publisher (in chat or with import --set),
    applied to the next documents whose parsed masthead is PARSED_MASTHEAD."""

    __tablename__ = "series_aliases"
    __table_args__ = (UniqueConstraint("parsed_masthead", "field", name="uq_series_aliases_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parsed_masthead: Mapped[str] = mapped_column(Text)
    # "masthead" or "publisher"
    field: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    # Telegram user id of the admin, or None for the command line.
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
