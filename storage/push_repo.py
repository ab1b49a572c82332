"""Repositories for pushes and their delivery ledger. They never commit: the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, case, func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from storage.models import SubscriberRow
from storage.publications import receives
from storage.push_models import Delivery, DeliveryState, Push, PushKind, PushState
from storage.types import UTCDateTime

_CHUNK = 2000
_ANALYZE_AFTER = 10_000
# Rows of a publication push's ledger written per transaction: the push sends after the first batch (a single
# INSERT of a million rows took 43 s, with the table's two indexes and its foreign key checked per row).
LEDGER_BATCH = 20_000


@dataclass(frozen=True, slots=True)
class PushInfo:
    """A snapshot of one push row."""

    id: int
    issue_id: int
    kind: str
    scheduled_at: dt.datetime
    state: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    claimed_by: str | None
    heartbeat: dt.datetime | None
    materialized_at: dt.datetime | None
    note: str | None


def _info(p: Push) -> PushInfo:
    return PushInfo(
        p.id, p.issue_id, p.kind, p.scheduled_at, p.state, p.created_at, p.started_at, p.finished_at,
        p.claimed_by, p.heartbeat, p.materialized_at, p.note,
    )


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """A snapshot of one ledger row."""

    id: int
    push_id: int
    chat_id: int
    original_chat_id: int
    chat_type: str
    lang: str
    state: str
    attempts: int
    message_id: int | None
    sent_at: dt.datetime | None
    reason: str | None


def _delivery(d: Delivery) -> DeliveryInfo:
    return DeliveryInfo(
        d.id, d.push_id, d.chat_id, d.original_chat_id, d.chat_type, d.lang, d.state, d.attempts,
        d.message_id, d.sent_at, d.reason,
    )


# The columns of DeliveryInfo in its field order: the push pages through the ledger as plain rows, without
# building an ORM object per row (the GIL it holds is time the event loop cannot send).
_DELIVERY_COLUMNS = (
    Delivery.id, Delivery.push_id, Delivery.chat_id, Delivery.original_chat_id, Delivery.chat_type, Delivery.lang,
    Delivery.state, Delivery.attempts, Delivery.message_id, Delivery.sent_at, Delivery.reason,
)

_deliveries = cast(Table, Delivery.__table__)
# One Core UPDATE ... WHERE id = ? run as executemany: the ORM's bulk update by primary key does the same
# with a per-row bookkeeping cost that showed up as a tenth of a paid broadcast's CPU.
_RECORD = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"), attempts=bindparam("b_attempts"), message_id=bindparam("b_message_id"),
        sent_at=bindparam("b_sent_at"), reason=bindparam("b_reason"), updated_at=bindparam("b_updated_at"),
    )
)


@dataclass(frozen=True, slots=True)
class LedgerTarget:
    """A chat to write into a new ledger."""

    chat_id: int
    chat_type: str
    lang: str


@dataclass(frozen=True, slots=True)
class LedgerBatch:
    """What one batch of a ledger did: rows written, and whether the ledger is now complete."""

    written: int
    complete: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final result of one ledger row, written in a batch after the request returned."""

    delivery_id: int
    state: DeliveryState
    attempts: int
    message_id: int | None = None
    sent_at: dt.datetime | None = None
    reason: str | None = None


class PushRepository:
    """Pushes: scheduling, atomic claiming, state changes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, issue_id: int, scheduled_at: dt.datetime, *, now: dt.datetime, kind: PushKind = PushKind.PUBLISH
    ) -> PushInfo:
        push = Push(
            issue_id=issue_id, kind=kind.value, scheduled_at=scheduled_at, state=PushState.SCHEDULED.value,
            created_at=now,
        )
        self.session.add(push)
        self.session.flush()
        return _info(push)

    def get(self, push_id: int) -> PushInfo | None:
        push = self.session.get(Push, push_id)
        return None if push is None else _info(push)

    def for_issue(self, issue_id: int) -> list[PushInfo]:
        """Every push of ISSUE_ID, oldest first."""
        rows = self.session.scalars(select(Push).where(Push.issue_id == issue_id).order_by(Push.id))
        return [_info(p) for p in rows]

    def latest(self) -> PushInfo | None:
        push = self.session.scalars(select(Push).order_by(Push.id.desc()).limit(1)).first()
        return None if push is None else _info(push)

    def in_state(self, *states: PushState) -> list[PushInfo]:
        """Pushes in any of STATES, by scheduled time."""
        rows = self.session.scalars(
            select(Push).where(Push.state.in_([s.value for s in states])).order_by(Push.scheduled_at, Push.id)
        )
        return [_info(p) for p in rows]

    def due(self, now: dt.datetime) -> list[PushInfo]:
        """Scheduled pushes whose time has come, oldest first."""
        rows = self.session.scalars(
            select(Push)
            .where(Push.state == PushState.SCHEDULED.value, Push.scheduled_at <= now)
            .order_by(Push.scheduled_at, Push.id)
        )
        return [_info(p) for p in rows]

    def reschedule(self, push_id: int, scheduled_at: dt.datetime) -> bool:
        """Move a push that has not started; False if it already started or ended."""
        result = self.session.execute(
            update(Push)
            .where(Push.id == push_id, Push.state == PushState.SCHEDULED.value)
            .values(scheduled_at=scheduled_at)
        )
        return _rowcount(result) == 1

    def claim(self, push_id: int, worker: str, now: dt.datetime) -> bool:
        """Atomically move a scheduled push to running for WORKER; False if someone else got it first."""
        result = self.session.execute(
            update(Push)
            .where(Push.id == push_id, Push.state == PushState.SCHEDULED.value)
            .values(state=PushState.RUNNING.value, claimed_by=worker, started_at=now, heartbeat=now)
        )
        return _rowcount(result) == 1

    def take_over(self, push_id: int, worker: str, previous: str | None, now: dt.datetime) -> bool:
        """Adopt a running push left by a dead leader (only the current leader calls this)."""
        cond = Push.claimed_by.is_(None) if previous is None else Push.claimed_by == previous
        result = self.session.execute(
            update(Push)
            .where(Push.id == push_id, Push.state == PushState.RUNNING.value, cond)
            .values(claimed_by=worker, heartbeat=now)
        )
        return _rowcount(result) == 1

    def beat(self, push_id: int, worker: str, now: dt.datetime) -> bool:
        result = self.session.execute(
            update(Push).where(Push.id == push_id, Push.claimed_by == worker).values(heartbeat=now)
        )
        return _rowcount(result) == 1

    def cancel(self, push_id: int, now: dt.datetime, note: str = "cancelled") -> bool:
        """Cancel a push that has not started; False if it is running or over."""
        result = self.session.execute(
            update(Push)
            .where(Push.id == push_id, Push.state == PushState.SCHEDULED.value)
            .values(state=PushState.CANCELLED.value, finished_at=now, note=note)
        )
        return _rowcount(result) == 1

    def mark_missed(self, push_id: int, now: dt.datetime, note: str) -> bool:
        result = self.session.execute(
            update(Push)
            .where(Push.id == push_id, Push.state == PushState.SCHEDULED.value)
            .values(state=PushState.MISSED.value, finished_at=now, note=note)
        )
        return _rowcount(result) == 1

    def finish(self, push_id: int, worker: str, now: dt.datetime) -> bool:
        result = self.session.execute(
            update(Push)
            .where(Push.id == push_id, Push.state == PushState.RUNNING.value, Push.claimed_by == worker)
            .values(state=PushState.DONE.value, finished_at=now, heartbeat=now)
        )
        return _rowcount(result) == 1


class LedgerRepository:
    """The delivery ledger of pushes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def materialize(self, push_id: int, targets: Iterable[LedgerTarget], now: dt.datetime) -> int | None:
        """Write one pending row per target, once per push; None if the ledger was already written."""
        result = self.session.execute(
            update(Push).where(Push.id == push_id, Push.materialized_at.is_(None)).values(materialized_at=now)
        )
        if _rowcount(result) != 1:
            return None
        written = 0
        chunk: list[dict[str, object]] = []
        # In chunks, so that 100,000 subscribers never sit in memory at once.
        for t in targets:
            chunk.append(
                {
                    "push_id": push_id, "chat_id": t.chat_id, "original_chat_id": t.chat_id,
                    "chat_type": t.chat_type, "lang": t.lang, "state": DeliveryState.PENDING.value, "attempts": 0,
                    "updated_at": now,
                }
            )
            if len(chunk) == _CHUNK:
                self.session.execute(insert(Delivery), chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            self.session.execute(insert(Delivery), chunk)
            written += len(chunk)
        return written

    def materialize_from_subscribers(
        self, push_id: int, langs: Langs, now: dt.datetime, publication_id: int | None = None
    ) -> int | None:
        """Write the whole ledger of a publication push in this transaction (see `write_ledger_batch`): how many rows
        were written, or None if the ledger was already complete."""
        total = 0
        while True:
            batch = self.write_ledger_batch(push_id, langs, now, publication_id)
            if batch is None:
                return total if total else None
            total += batch.written
            if batch.complete:
                return total

    def write_ledger_batch(
        self, push_id: int, langs: Langs, now: dt.datetime, publication_id: int | None = None,
        limit: int = LEDGER_BATCH,
    ) -> LedgerBatch | None:
        """Write the next batch of a publication push's ledger: one pending row for each of the next LIMIT chats of
        `audience_of_push` (who receives PUBLICATION_ID, when given) by chat id, in one INSERT ... SELECT, so the
        subscribers never pass through this process (a million of them took a minute as Python rows). The next
        batch starts after the largest chat id already in the push's ledger (one look-up in its (push, chat)
        index), so a batch is written exactly once and a crash resumes after the last committed one; the batch
        that finds fewer than LIMIT chats marks the ledger complete. None if it already was. LANGS: see
        chat_lang."""
        # Also takes the push row's lock until commit (a row lock on PostgreSQL, the write lock on SQLite), so
        # two writers of one push take turns.
        open_ledger = self.session.execute(
            update(Push).where(Push.id == push_id, Push.materialized_at.is_(None)).values(materialized_at=None)
        )
        if _rowcount(open_ledger) != 1:
            return None
        # A group that migrated during the push moved to its supergroup's id in the ledger and among the
        # subscribers alike; that id (-100...) lies below every private chat and plain group, so it is not after
        # the largest id left unless every chat written so far is a supergroup or channel below it.
        after = self.session.scalar(select(func.max(Delivery.chat_id)).where(Delivery.push_id == push_id))
        audience = audience_of_push(push_id, langs, publication_id)
        beyond = [] if after is None else [audience.c.chat_id > after]
        ids = select(audience.c.chat_id).where(*beyond).order_by(audience.c.chat_id).limit(limit).subquery()
        found, through = self.session.execute(select(func.count(), func.max(ids.c.chat_id)).select_from(ids)).one()
        complete = found < limit
        if complete:
            self.session.execute(update(Push).where(Push.id == push_id).values(materialized_at=now))
        if not found:
            return LedgerBatch(0, complete)
        rows = (
            select(
                literal(push_id), audience.c.chat_id, audience.c.chat_id, audience.c.chat_type, audience.c.lang,
                literal(DeliveryState.PENDING.value), literal(0), literal(now, UTCDateTime()),
            )
            .where(*beyond, audience.c.chat_id <= through)
            .order_by(audience.c.chat_id)
        )
        columns = ["push_id", "chat_id", "original_chat_id", "chat_type", "lang", "state", "attempts", "updated_at"]
        # SQLAlchemy keeps the driver's rowcount of an INSERT only when asked to.
        stmt = insert(Delivery).from_select(columns, rows).execution_options(preserve_rowcount=True)
        written = _rowcount(self.session.execute(stmt))
        first, last_of_several = after is None, complete and after is not None
        if self.session.get_bind().dialect.name == "postgresql" and (
            (first and written >= _ANALYZE_AFTER) or last_of_several
        ):
            # The planner's statistics still describe the table before these rows; with them it sorted every
            # pending row of the push for each page the push reads (1 s a page at a million). ANALYZE may run in
            # a transaction and samples a fixed number of rows: after the first batch, so the pages read while the
            # rest is written use the index, and after the last.
            self.session.execute(text("ANALYZE push_deliveries"))
        return LedgerBatch(written, complete)

    def audience_left(self, push_id: int, langs: Langs, publication_id: int | None = None) -> int:
        """How many chats of a publication push's audience its ledger does not hold yet: the chats
        write_ledger_batch has still to write (those after the largest chat id in the ledger)."""
        after = self.session.scalar(select(func.max(Delivery.chat_id)).where(Delivery.push_id == push_id))
        audience = audience_of_push(push_id, langs, publication_id)
        beyond = [] if after is None else [audience.c.chat_id > after]
        return int(self.session.scalar(select(func.count()).select_from(audience).where(*beyond)) or 0)

    def reset_in_flight(self, push_id: int) -> int:
        """Rows left 'sending' by a crash go back to pending; their count is the crash's duplicate bound."""
        result = self.session.execute(
            update(Delivery)
            .where(Delivery.push_id == push_id, Delivery.state == DeliveryState.SENDING.value)
            .values(state=DeliveryState.PENDING.value)
        )
        return _rowcount(result)

    def pending_ids(self, push_id: int, *, after_id: int = 0, limit: int = 1000) -> list[DeliveryInfo]:
        """Pending rows of a push in id order, paged by id."""
        rows = self.session.execute(
            select(*_DELIVERY_COLUMNS)
            .where(
                Delivery.push_id == push_id,
                Delivery.state == DeliveryState.PENDING.value,
                Delivery.id > after_id,
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
        return [DeliveryInfo(*row) for row in rows]

    def mark_sending(self, delivery_ids: Sequence[int], now: dt.datetime) -> None:
        """Record that requests for these rows are about to go out (committed before sending)."""
        if delivery_ids:
            self.session.execute(
                update(Delivery)
                .where(Delivery.id.in_(list(delivery_ids)), Delivery.state == DeliveryState.PENDING.value)
                .values(state=DeliveryState.SENDING.value, updated_at=now)
            )

    def record(self, outcomes: Sequence[Outcome], now: dt.datetime) -> None:
        """Write final outcomes (sent / failed / skipped) in one statement per batch."""
        if outcomes:
            self.session.execute(
                _RECORD,
                [
                    {
                        "b_id": o.delivery_id, "b_state": o.state.value, "b_attempts": o.attempts,
                        "b_message_id": o.message_id, "b_sent_at": o.sent_at, "b_reason": o.reason,
                        "b_updated_at": now,
                    }
                    for o in outcomes
                ],
            )

    def move_chat(self, delivery_id: int, new_chat_id: int) -> bool:
        """Point a row at a migrated chat's new id; False if that chat already has a row in this push."""
        row = self.session.get(Delivery, delivery_id)
        if row is None:
            return False
        clash = self.session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.push_id == row.push_id, Delivery.chat_id == new_chat_id)
        )
        if clash:
            return False
        row.chat_id = new_chat_id
        self.session.flush()
        return True

    def counts(self, push_id: int) -> dict[str, int]:
        """Rows per state (every state present, zero if none)."""
        result = {s.value: 0 for s in DeliveryState}
        for state, n in self.session.execute(
            select(Delivery.state, func.count()).where(Delivery.push_id == push_id).group_by(Delivery.state)
        ):
            result[state] = n
        return result

    def rows(self, push_id: int, *states: DeliveryState, limit: int | None = None) -> list[DeliveryInfo]:
        """Rows of a push, optionally only those in STATES, in id order (the first LIMIT of them)."""
        query = select(Delivery).where(Delivery.push_id == push_id)
        if states:
            query = query.where(Delivery.state.in_([s.value for s in states]))
        return [_delivery(d) for d in self.session.scalars(query.order_by(Delivery.id).limit(limit))]

    def sent_times(self, push_id: int, since: dt.datetime) -> int:
        """How many rows of a push were sent at or after SINCE (for the rate shown by `status`)."""
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(
                    Delivery.push_id == push_id,
                    Delivery.state == DeliveryState.SENT.value,
                    Delivery.sent_at >= since,
                )
            )
            or 0
        )

    def failed_for_issue(self, issue_id: int) -> list[DeliveryInfo]:
        """Chats whose latest delivery of ISSUE_ID (over all its pushes) failed: the targets of a resend."""
        latest = (
            select(Delivery.chat_id, func.max(Delivery.id).label("last_id"))
            .join(Push, Push.id == Delivery.push_id)
            .where(
                Push.issue_id == issue_id,
                Delivery.state.in_(
                    [DeliveryState.SENT.value, DeliveryState.FAILED.value, DeliveryState.SKIPPED.value]
                ),
            )
            .group_by(Delivery.chat_id)
            .subquery()
        )
        rows = self.session.scalars(
            select(Delivery)
            .join(latest, and_(Delivery.id == latest.c.last_id))
            .where(Delivery.state == DeliveryState.FAILED.value)
            .order_by(Delivery.id)
        )
        return [_delivery(d) for d in rows]


@dataclass(frozen=True, slots=True)
class Langs:
    """The chat languages a ledger row may get (bulletin.i18n's codes; storage formats no text itself)."""

    english: str
    otherwise: str


def chat_lang(language_code: Any, langs: Langs) -> Any:
    """SQL for bulletin.i18n.lang_of: LANGS.english for a language code starting with "en" (any case, leading spaces
    ignored), LANGS.otherwise for any other; tests/integration/test_push_audience.py checks the two agree."""
    return case((func.lower(func.ltrim(language_code)).like("en%"), langs.english), else_=langs.otherwise)


def audience_of_push(push_id: int, langs: Langs, publication_id: int | None = None) -> Any:
    """The chats a publication push goes to, as a subquery (id, chat_id, chat_type, lang): every active subscriber
    who receives PUBLICATION_ID (every active subscriber when it is None; see storage.publications.receives).

    PUSH_ID is there for the filters a push may add (one WHERE clause each).
    """
    stmt: Select[Any] = select(
        SubscriberRow.id, SubscriberRow.chat_id, SubscriberRow.chat_type,
        chat_lang(SubscriberRow.language_code, langs).label("lang"),
    ).where(SubscriberRow.active.is_(True), *_receiving(publication_id))
    return stmt.subquery("audience")
def _receiving(publication_id: int | None) -> list[Any]:
    """The conditions on SubscriberRow of the subscribers who receive PUBLICATION_ID (none: every subscriber)."""
    return [] if publication_id is None else [receives(publication_id)]


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
