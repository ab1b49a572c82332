"""Publications (刊物): the series of issues that share one masthead, and each subscriber's choice of them.

A publication is keyed by its stored masthead; the office's remembered masthead corrections (series_aliases,
field "masthead") are its aliases. `[publications]` in the config gives it a short name and says whether new
subscribers get it (`configure`). A subscriber receives a publication when its choice says so, or, having made none,
when the publication is on by default. Never commits.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from storage import textindex
from storage.base import Base
from storage.models import IssueRow, SeriesAliasRow, SubscriberRow
from storage.types import UTCDateTime, utcnow


class PublicationRow(Base):
    """One publication: the masthead its issues carry, its short name from the config, its default."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    masthead: Mapped[str] = mapped_column(Text, unique=True)
    # [publications] name ("专报"); None: the masthead names it.
    name: Mapped[str | None] = mapped_column(String(40))
    # Whether a subscriber who made no choice about it receives it ([publications] default).
    default_on: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicationChoiceRow(Base):
    """A subscriber's choice about one publication (made on the toggle buttons, or kept by the migration)."""

    __tablename__ = "publication_choices"

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True)
    wanted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Publication:
    """A publication as the rest of the program sees it; NAME is None when the config gives it no short name."""

    id: int
    masthead: str
    name: str | None
    default_on: bool
    aliases: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        """What chat and CLI call it: the configured short name, else the masthead."""
        return self.name or self.masthead


@dataclass(frozen=True)
class PublicationSetting:
    """One `[publications]` entry: MASTHEAD (or one of its aliases) gets NAME and DEFAULT_ON."""

    masthead: str
    name: str | None
    default_on: bool


def receives(publication_id: int) -> ColumnElement[bool]:
    """The condition on SubscriberRow under which that subscriber receives PUBLICATION_ID's issues."""
    choice = select(PublicationChoiceRow.wanted).where(
        PublicationChoiceRow.subscriber_id == SubscriberRow.id,
        PublicationChoiceRow.publication_id == publication_id,
    ).scalar_subquery()
    default = select(PublicationRow.default_on).where(PublicationRow.id == publication_id).scalar_subquery()
    return func.coalesce(choice, default).is_(True)


def publication_id_for(session: Session, masthead: str) -> int:
    """The id of the publication of MASTHEAD (a stored masthead), created (on by default) when it is new."""
    found = session.scalar(select(PublicationRow.id).where(PublicationRow.masthead == masthead))
    if found is not None:
        return found
    created = session.scalar(
        insert(PublicationRow).values(masthead=masthead, name=None, default_on=True, created_at=utcnow())
        .returning(PublicationRow.id)
    )
    assert created is not None
    return created


@dataclass(frozen=True)
class _Snapshot:
    """The publications built from ROWS (what _all_statement read), with each one's names folded (for named)."""

    rows: tuple[tuple[object, ...], ...]
    publications: tuple[Publication, ...]
    folded: tuple[frozenset[str], ...]

    @staticmethod
    def of(rows: tuple[tuple[object, ...], ...]) -> _Snapshot:
        aliases: dict[str, list[str]] = {}
        for _, _, value, parsed, _ in (row for row in rows if row[0] == _ALIAS):
            if parsed != value:  # in parsed-masthead order
                aliases.setdefault(str(value), []).append(str(parsed))
        publications = [
            Publication(
                int(str(publication_id)), str(masthead), None if name is None else str(name), bool(default_on),
                tuple(aliases.get(str(masthead), ())),
            )
            for kind, publication_id, masthead, name, default_on in rows
            if kind == _PUBLICATION
        ]
        folded = tuple(
            frozenset(textindex.fold(n) for n in (p.name or "", p.masthead, *p.aliases) if n) for p in publications
        )
        return _Snapshot(rows, tuple(publications), folded)


_PUBLICATION, _ALIAS = 0, 1
_last: _Snapshot | None = None


@functools.cache
def _all_statement() -> CompoundSelect[*tuple[Any, ...]]:
    """Every publication (by id) and every masthead alias (by parsed masthead), in one statement: (kind, id,
    masthead or alias value, name or parsed masthead, default_on)."""
    publications = select(
        literal(_PUBLICATION).label("kind"), PublicationRow.id.label("id"), PublicationRow.masthead.label("masthead"),
        PublicationRow.name.label("name"), PublicationRow.default_on.label("default_on"),
    )
    aliases = select(
        literal(_ALIAS), literal(0), SeriesAliasRow.value, SeriesAliasRow.parsed_masthead, literal(None, Boolean),
    ).where(SeriesAliasRow.field == "masthead")
    return union_all(publications, aliases).order_by(text("kind"), text("id"), text("name"))


class PublicationRepository:
    """Publications and subscribers' choices of them; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def all(self) -> list[Publication]:
        """Every publication, in the order they first appeared (with their aliases)."""
        return list(self._snapshot().publications)

    def _snapshot(self) -> _Snapshot:
        """The publications as stored now: both tables are read (one small statement, Core rows) on every call, so
        a change by any process is seen at once, and the records built from them are reused while they are the
        same (building them and running the ORM cost more than the read)."""
        global _last  # the process's one snapshot, replaced whole (thread-safe)
        rows = tuple(tuple(row) for row in self._session.connection().execute(_all_statement()))
        last = _last
        if last is not None and last.rows == rows:
            return last
        _last = snapshot = _Snapshot.of(rows)
        return snapshot

    def get(self, publication_id: int) -> Publication | None:
        """The publication PUBLICATION_ID, if any."""
        return next((p for p in self.all() if p.id == publication_id), None)

    def count(self) -> int:
        """How many publications there are."""
        return len(self._snapshot().publications)

    def named(self, name: str) -> Publication | None:
        """The publication NAME names: its short name, masthead or an alias (case and width folded)."""
        wanted = textindex.fold(name.strip())
        if not wanted:
            return None
        snapshot = self._snapshot()
        for publication, names in zip(snapshot.publications, snapshot.folded, strict=True):
            if wanted in names:
                return publication
        return None

    def of_issue(self, issue_id: int) -> int | None:
        """The publication of stored issue ISSUE_ID."""
        return self._session.scalar(select(IssueRow.publication_id).where(IssueRow.id == issue_id))

    def configure(self, settings: Sequence[PublicationSetting]) -> None:
        """Apply `[publications]`: each entry's masthead (or alias) gets its name and default, creating the
        publication when no issue has it yet; publications no entry names have no short name and are on."""
        by_alias = {
            parsed: value
            for parsed, value in self._session.execute(
                select(SeriesAliasRow.parsed_masthead, SeriesAliasRow.value).where(SeriesAliasRow.field == "masthead")
            )
        }
        configured: set[int] = set()
        for setting in settings:
            masthead = by_alias.get(setting.masthead, setting.masthead)
            publication_id = publication_id_for(self._session, masthead)
            configured.add(publication_id)
            self._session.execute(
                update(PublicationRow)
                .where(PublicationRow.id == publication_id)
                .values(name=setting.name, default_on=setting.default_on)
            )
        unnamed = update(PublicationRow).values(name=None, default_on=True)
        if configured:
            unnamed = unnamed.where(PublicationRow.id.not_in(configured))
        self._session.execute(unnamed)

    # -- subscribers' choices ------------------------------------------------------------------------------------

    def _subscriber_id(self, chat_id: int) -> int | None:
        return self._session.scalar(select(SubscriberRow.id).where(SubscriberRow.chat_id == chat_id))

    def chosen(self, chat_id: int) -> dict[int, bool]:
        """{publication id: received} for CHAT_ID, over every publication (defaults where it chose nothing)."""
        subscriber_id = self._subscriber_id(chat_id)
        choices: dict[int, bool] = {}
        if subscriber_id is not None:
            choices = dict(
                self._session.execute(
                    select(PublicationChoiceRow.publication_id, PublicationChoiceRow.wanted).where(
                        PublicationChoiceRow.subscriber_id == subscriber_id
                    )
                ).all()
            )
        return {
            pid: choices.get(pid, default_on)
            for pid, default_on in self._session.execute(
                select(PublicationRow.id, PublicationRow.default_on).order_by(PublicationRow.id)
            )
        }

    def choose(self, chat_id: int, publication_id: int, wanted: bool) -> bool:
        """Record that CHAT_ID wants (or not) PUBLICATION_ID; False when the chat never subscribed or the
        publication does not exist."""
        subscriber_id = self._subscriber_id(chat_id)
        known = self._session.scalar(select(PublicationRow.id).where(PublicationRow.id == publication_id))
        if subscriber_id is None or known is None:
            return False
        updated = self._session.execute(
            update(PublicationChoiceRow)
            .where(
                PublicationChoiceRow.subscriber_id == subscriber_id,
                PublicationChoiceRow.publication_id == publication_id,
            )
            .values(wanted=wanted, updated_at=utcnow())
        )
        if not getattr(updated, "rowcount", 0):
            self._session.execute(
                insert(PublicationChoiceRow).values(
                    subscriber_id=subscriber_id, publication_id=publication_id, wanted=wanted, updated_at=utcnow()
                )
            )
        return True

    def choose_all(self, chat_id: int, wanted: Iterable[int]) -> None:
        """Record CHAT_ID's choice over every publication at once: exactly WANTED."""
        chosen = set(wanted)
        for publication_id in self.chosen(chat_id):
            self.choose(chat_id, publication_id, publication_id in chosen)

    def receiving(self, publication_id: int) -> int:
        """How many active subscribers receive PUBLICATION_ID."""
        stmt = select(func.count()).select_from(SubscriberRow).where(
            SubscriberRow.active.is_(True), receives(publication_id)
        )
        return self._session.scalar(stmt) or 0
