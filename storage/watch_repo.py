"""The website watch's tables: sources with their polling state, and the documents seen on them.

Repositories never commit; the caller owns the transaction (jobs/watch.py runs each step in one unit of work).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.watch_models import SeenState, WatchSeen, WatchSource


@dataclass(frozen=True)
class SourceInfo:
    """A watched source as the use cases read it."""

    id: int
    url: str
    every: dt.timedelta
    match: str
    mode: str
    kind: str
    from_config: bool
    primed: bool
    etag: str | None
    last_modified: str | None
    next_poll_at: dt.datetime
    last_poll_at: dt.datetime | None
    last_ok_at: dt.datetime | None
    failures: int
    alerted: bool
    last_error: str | None


@dataclass(frozen=True)
class SourceSpec:
    """What defines a source (the config's [[watch.sources]], `watch add`)."""

    url: str
    every: dt.timedelta
    match: str = ""
    mode: str = "preview"
    kind: str = "auto"


@dataclass(frozen=True)
class Found:
    """A downloaded document waiting to be offered (state found), with its bytes."""

    id: int
    source_id: int
    source_url: str
    mode: str
    url: str
    title: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class SeenItem:
    """A seen document without its bytes (listings, backfill)."""

    id: int
    url: str
    title: str
    state: str
    published: str | None


def _info(row: WatchSource) -> SourceInfo:
    return SourceInfo(
        row.id, row.url, dt.timedelta(seconds=row.every_seconds), row.match or "", row.mode, row.kind,
        row.from_config, row.primed, row.etag, row.last_modified, row.next_poll_at, row.last_poll_at,
        row.last_ok_at, row.failures, row.alerted, row.last_error,
    )


class WatchRepository:
    """Sources and seen documents."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- sources

    def add(self, spec: SourceSpec, now: dt.datetime, *, from_config: bool = False) -> SourceInfo | None:
        """Add a source polled first at NOW; None when its URL is watched already."""
        if self.session.scalar(select(WatchSource.id).where(WatchSource.url == spec.url)) is not None:
            return None
        row = WatchSource(
            url=spec.url, every_seconds=max(1, round(spec.every.total_seconds())), match=spec.match or None,
            mode=spec.mode, kind=spec.kind, from_config=from_config, created_at=now, primed=False,
            next_poll_at=now, failures=0, alerted=False,
        )
        self.session.add(row)
        self.session.flush()
        return _info(row)

    def sync(self, specs: Sequence[SourceSpec], now: dt.datetime) -> tuple[int, int]:
        """Make the config's sources the database's from_config ones: add new, update changed, remove dropped.

        A source added with `watch add` keeps its own settings. Returns (added, removed).
        """
        wanted = {s.url: s for s in specs}
        added = removed = 0
        for row in self.session.scalars(select(WatchSource)).all():
            spec = wanted.pop(row.url, None)
            if spec is None:
                if row.from_config:
                    self.session.delete(row)
                    removed += 1
                continue
            if row.from_config:
                row.every_seconds = max(1, round(spec.every.total_seconds()))
                row.match, row.mode, row.kind = spec.match or None, spec.mode, spec.kind
        for spec in wanted.values():
            self.add(spec, now, from_config=True)
            added += 1
        self.session.flush()
        return added, removed

    def all(self) -> list[SourceInfo]:
        return [_info(r) for r in self.session.scalars(select(WatchSource).order_by(WatchSource.id))]

    def get(self, source_id: int) -> SourceInfo | None:
        row = self.session.get(WatchSource, source_id)
        return None if row is None else _info(row)

    def resolve(self, ref: str) -> SourceInfo | None:
        """A source by its id ("3") or its URL."""
        ref = ref.strip()
        if ref.isdigit():
            return self.get(int(ref))
        row = self.session.scalar(select(WatchSource).where(WatchSource.url == ref))
        return None if row is None else _info(row)

    def remove(self, source_id: int) -> bool:
        """Remove a source and what was seen on it."""
        row = self.session.get(WatchSource, source_id)
        if row is None:
            return False
        self.session.execute(delete(WatchSeen).where(WatchSeen.source_id == source_id))
        self.session.delete(row)
        self.session.flush()
        return True

    def due(self, now: dt.datetime) -> list[SourceInfo]:
        """Sources whose next poll is due, oldest due first."""
        query = select(WatchSource).where(WatchSource.next_poll_at <= now).order_by(WatchSource.next_poll_at)
        return [_info(r) for r in self.session.scalars(query)]

    def polled(
        self, source_id: int, *, now: dt.datetime, next_at: dt.datetime, ok: bool, error: str | None = None,
        etag: str | None = None, last_modified: str | None = None, keep_validators: bool = False,
        alerted: bool | None = None, primed: bool | None = None,
    ) -> None:
        """Record a poll's outcome: failures counted (reset on success), the validators of a 200 kept."""
        row = self.session.get(WatchSource, source_id)
        if row is None:
            return
        row.last_poll_at = now
        row.next_poll_at = next_at
        if ok:
            row.failures = 0
            row.last_ok_at = now
            row.last_error = None
            if not keep_validators:
                row.etag, row.last_modified = etag, last_modified
        else:
            row.failures += 1
            row.last_error = (error or "")[:1000]
        if alerted is not None:
            row.alerted = alerted
        if primed is not None:
            row.primed = primed

    def poll_now(self, source_id: int, now: dt.datetime) -> None:
        """Make a source due at once (e.g. `watch run --once`)."""
        self.session.execute(update(WatchSource).where(WatchSource.id == source_id).values(next_poll_at=now))

    # -- seen documents

    def seen_urls(self, source_id: int) -> set[str]:
        return set(self.session.scalars(select(WatchSeen.url).where(WatchSeen.source_id == source_id)))

    def seen_id(self, source_id: int, url: str) -> int | None:
        return self.session.scalar(
            select(WatchSeen.id).where(WatchSeen.source_id == source_id, WatchSeen.url == url)
        )

    def hash_seen(self, sha256: str) -> bool:
        """Whether a document with this content was seen on any source."""
        return self.session.scalar(select(WatchSeen.id).where(WatchSeen.sha256 == sha256).limit(1)) is not None

    def record(
        self, source_id: int, url: str, state: SeenState, now: dt.datetime, *, title: str = "",
        sha256: str | None = None, filename: str | None = None, data: bytes | None = None,
        published: str | None = None,
    ) -> None:
        """Remember a document seen on a source (a URL seen again on the same source is not recorded twice)."""
        existing = self.session.scalar(
            select(WatchSeen).where(WatchSeen.source_id == source_id, WatchSeen.url == url)
        )
        if existing is not None:
            # A document replaced in place: the URL stays, the content (and what becomes of it) is new.
            existing.sha256, existing.state, existing.found_at = sha256, state.value, now
            existing.title, existing.filename, existing.data = title[:500], filename, data
            existing.done_at = existing.issue_id = existing.note = None
            return
        self.session.add(WatchSeen(
            source_id=source_id, url=url, title=title[:500], sha256=sha256, state=state.value, found_at=now,
            filename=filename, data=data, published=published,
        ))
        self.session.flush()

    def record_many(self, source_id: int, items: Iterable[tuple[str, str, str | None]], state: SeenState,
                    now: dt.datetime) -> int:
        """Record (url, title, published) items in STATE; how many were new."""
        known = self.seen_urls(source_id)
        count = 0
        for url, title, published in items:
            if url in known:
                continue
            known.add(url)
            self.session.add(WatchSeen(
                source_id=source_id, url=url, title=title[:500], state=state.value, found_at=now, published=published,
            ))
            count += 1
        self.session.flush()
        return count

    def pending(self, limit: int = 20) -> list[Found]:
        """Documents found but not yet offered, oldest first (also those a crash left behind)."""
        query = (
            select(WatchSeen, WatchSource)
            .join(WatchSource, WatchSource.id == WatchSeen.source_id)
            .where(WatchSeen.state == SeenState.FOUND.value)
            .order_by(WatchSeen.id)
            .limit(limit)
        )
        return [
            Found(seen.id, src.id, src.url, src.mode, seen.url, seen.title, seen.filename or "", seen.data or b"")
            for seen, src in self.session.execute(query).all()
        ]

    def finish(
        self, seen_id: int, state: SeenState, now: dt.datetime, *, issue_id: int | None = None, note: str | None = None,
        only_from: SeenState | None = None,
    ) -> bool:
        """Move a seen document on (its bytes are dropped); with ONLY_FROM, only if it is still in that state."""
        row = self.session.get(WatchSeen, seen_id)
        if row is None or (only_from is not None and row.state != only_from.value):
            return False
        row.state, row.done_at, row.data = state.value, now, None
        row.issue_id = issue_id if issue_id is not None else row.issue_id
        row.note = note[:1000] if note else row.note
        return True

    def in_state(self, source_id: int, state: SeenState) -> list[SeenItem]:
        query = (
            select(WatchSeen).where(WatchSeen.source_id == source_id, WatchSeen.state == state.value)
            .order_by(WatchSeen.id)
        )
        return [SeenItem(r.id, r.url, r.title, r.state, r.published) for r in self.session.scalars(query)]

    def counts(self) -> dict[int, dict[str, int]]:
        """source id -> state -> how many documents."""
        query = select(WatchSeen.source_id, WatchSeen.state, func.count()).group_by(
            WatchSeen.source_id, WatchSeen.state
        )
        result: dict[int, dict[str, int]] = {}
        for source_id, state, count in self.session.execute(query).tuples():
            result.setdefault(source_id, {})[state] = count
        return result
