"""Receipts repositories: acknowledgements, article opens, the per-issue ledger view, reminders. Never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import SubscriberRow
from storage.publications import receives
from storage.push_models import Delivery, DeliveryState, Push, PushKind, PushState
from storage.receipts_models import AckRow, ArticleOpenRow, ReminderRow, ReminderState


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One chat an issue was meant to reach: its latest delivery, with the receipts of that chat for the issue."""

    chat_id: int
    chat_type: str
    display_name: str
    department: str | None
    delivery_state: str
    sent_at: dt.datetime | None
    reason: str | None
    push_id: int
    acked_at: dt.datetime | None  # the first 已阅 press in this chat
    ack_users: int  # how many people pressed 已阅 in this chat (groups can have several)
    articles_opened: tuple[int, ...]  # positions opened in this chat, ascending
    reminded_at: dt.datetime | None

    @property
    def delivered(self) -> bool:
        return self.delivery_state == DeliveryState.SENT.value


@dataclass(frozen=True, slots=True)
class ReminderTarget:
    """A chat that got an issue REMIND_AFTER ago, has not acknowledged it and was never reminded."""

    issue_id: int
    chat_id: int
    lang: str
    sent_at: dt.datetime


def _insert_new(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT VALUES unless a row with the same unique key exists; True when this call inserted it.

    ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike), so a race between two presses never aborts the
    caller's transaction.
    """
    bind = session.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    # RETURNING rather than rowcount: drivers disagree on rowcount for a skipped INSERT ... ON CONFLICT.
    inserted = session.scalar(dialect.insert(model).values(**values).on_conflict_do_nothing().returning(model.id))
    return inserted is not None


def _latest_deliveries(issue_id: int) -> Select[Any]:
    """The id of each chat's latest ledger row over every push of ISSUE_ID (a resend supersedes a failure)."""
    return (
        select(func.max(Delivery.id).label("last_id"))
        .join(Push, Push.id == Delivery.push_id)
        .where(Push.issue_id == issue_id)
        .group_by(Delivery.chat_id)
    )


class ReceiptRepository:
    """已阅 presses and article opens, and the ledger of an issue joined with them."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _department(self, chat_id: int) -> tuple[bool, str | None]:
        row = self._session.execute(
            select(SubscriberRow.department).where(SubscriberRow.chat_id == chat_id)
        ).first()
        return (False, None) if row is None else (True, row[0])

    def was_sent(self, issue_id: int, chat_id: int) -> bool:
        """True when ISSUE_ID's contents message reached CHAT_ID (the only chats whose 已阅 counts)."""
        stmt = select(
            exists()
            .where(Delivery.chat_id == chat_id, Delivery.state == DeliveryState.SENT.value)
            .where(Delivery.push_id.in_(select(Push.id).where(Push.issue_id == issue_id)))
        )
        return bool(self._session.scalar(stmt))

    def acknowledge(self, issue_id: int, chat_id: int, user_id: int, now: dt.datetime) -> bool:
        """Record USER_ID's 已阅 for ISSUE_ID in CHAT_ID; False when that user had already acknowledged it."""
        found = self._session.scalar(
            select(AckRow.id).where(AckRow.issue_id == issue_id, AckRow.chat_id == chat_id, AckRow.user_id == user_id)
        )
        if found is not None:
            return False
        _known, department = self._department(chat_id)
        return _insert_new(
            self._session, AckRow,
            {"issue_id": issue_id, "chat_id": chat_id, "user_id": user_id, "department": department, "at": now},
        )

    def record_open(self, issue_id: int, chat_id: int, position: int, now: dt.datetime) -> bool:
        """Count an opening of article POSITION of ISSUE_ID in CHAT_ID; only subscribers' chats are recorded."""
        known, department = self._department(chat_id)
        if not known:
            return False
        first = _insert_new(
            self._session, ArticleOpenRow,
            {
                "issue_id": issue_id, "chat_id": chat_id, "position": position, "department": department,
                "first_at": now, "last_at": now, "opens": 1,
            },
        )
        if not first:
            self._session.execute(
                update(ArticleOpenRow)
                .where(
                    ArticleOpenRow.issue_id == issue_id,
                    ArticleOpenRow.chat_id == chat_id,
                    ArticleOpenRow.position == position,
                )
                .values(opens=ArticleOpenRow.opens + 1, last_at=now)
            )
        return True

    def ledger(self, issue_id: int) -> list[LedgerLine]:
        """Every chat in ISSUE_ID's ledger (latest delivery per chat), with its receipts, in ledger order."""
        latest = _latest_deliveries(issue_id).subquery()
        rows = self._session.execute(
            select(Delivery, SubscriberRow.display_name, SubscriberRow.department)
            .join(latest, Delivery.id == latest.c.last_id)
            .outerjoin(SubscriberRow, SubscriberRow.chat_id == Delivery.chat_id)
            .order_by(Delivery.id)
        ).all()
        acks: dict[int, tuple[dt.datetime, int, str | None]] = {}
        for chat_id, first, users, department in self._session.execute(
            select(AckRow.chat_id, func.min(AckRow.at), func.count(), func.max(AckRow.department))
            .where(AckRow.issue_id == issue_id)
            .group_by(AckRow.chat_id)
        ):
            acks[chat_id] = (first, users, department)
        opened: dict[int, list[int]] = {}
        for chat_id, position in self._session.execute(
            select(ArticleOpenRow.chat_id, ArticleOpenRow.position)
            .where(ArticleOpenRow.issue_id == issue_id)
            .order_by(ArticleOpenRow.chat_id, ArticleOpenRow.position)
        ):
            opened.setdefault(chat_id, []).append(position)
        reminded: dict[int, dt.datetime | None] = {
            chat_id: sent_at
            for chat_id, sent_at in self._session.execute(
                select(ReminderRow.chat_id, ReminderRow.sent_at).where(
                    ReminderRow.issue_id == issue_id, ReminderRow.state == ReminderState.SENT.value
                )
            )
        }
        lines: list[LedgerLine] = []
        for delivery, display_name, department in rows:
            ack = acks.get(delivery.chat_id)
            if not department and ack is not None:
                department = ack[2]
            department = department or None  # a blank department reads as none
            lines.append(
                LedgerLine(
                    chat_id=delivery.chat_id,
                    chat_type=delivery.chat_type,
                    display_name=display_name or str(delivery.chat_id),
                    department=department,
                    delivery_state=delivery.state,
                    sent_at=delivery.sent_at,
                    reason=delivery.reason,
                    push_id=delivery.push_id,
                    acked_at=ack[0] if ack else None,
                    ack_users=ack[1] if ack else 0,
                    articles_opened=tuple(opened.get(delivery.chat_id, ())),
                    reminded_at=reminded.get(delivery.chat_id),
                )
            )
        return lines

    def pushed_issue_ids(self, limit: int) -> list[int]:
        """The LIMIT issues most recently pushed (a publication that started), most recent first."""
        last_push = func.max(Push.id)
        rows = self._session.execute(
            select(Push.issue_id, last_push)
            .where(
                Push.kind == PushKind.PUBLISH.value,
                Push.state.in_([PushState.RUNNING.value, PushState.DONE.value]),
            )
            .group_by(Push.issue_id)
            .order_by(last_push.desc())
            .limit(limit)
        ).all()
        return [issue_id for issue_id, _ in rows]

    def departments_without_subscribers(
        self, departments: Sequence[str], publication_id: int | None = None
    ) -> list[str]:
        """The configured DEPARTMENTS, in their order, that have no active subscriber (receiving PUBLICATION_ID,
        when given)."""
        covered = set(
            self._session.scalars(
                select(SubscriberRow.department).where(SubscriberRow.active.is_(True), *_receiving(publication_id))
                .distinct()
            )
        )
        return [d for d in departments if d not in covered]

    def active_per_department(self, publication_id: int | None = None) -> dict[str | None, int]:
        """Active subscribers per department (those receiving PUBLICATION_ID, when given)."""
        return {
            department: int(n)
            for department, n in self._session.execute(
                select(SubscriberRow.department, func.count())
                .where(SubscriberRow.active.is_(True), *_receiving(publication_id))
                .group_by(SubscriberRow.department)
            )
        }


class ReminderRepository:
    """The one reminder per (issue, chat): who is due, and claiming a reminder before it is sent."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def due(self, now: dt.datetime, remind_after: dt.timedelta, max_age: dt.timedelta) -> list[ReminderTarget]:
        """Chats sent an issue between MAX_AGE and REMIND_AFTER ago, still subscribed, with no 已阅, never reminded.

        MAX_AGE keeps a bot that was down for weeks from reminding people of long-past issues.
        """
        newest, oldest = now - remind_after, now - max_age
        latest = (
            select(func.max(Delivery.id).label("last_id"), Push.issue_id.label("issue_id"))
            .join(Push, Push.id == Delivery.push_id)
            .where(Delivery.sent_at.is_not(None), Delivery.sent_at >= oldest)
            .group_by(Push.issue_id, Delivery.chat_id)
            .subquery()
        )
        acked = exists().where(AckRow.issue_id == latest.c.issue_id, AckRow.chat_id == Delivery.chat_id)
        reminded = exists().where(ReminderRow.issue_id == latest.c.issue_id, ReminderRow.chat_id == Delivery.chat_id)
        rows = self._session.execute(
            select(latest.c.issue_id, Delivery.chat_id, Delivery.lang, Delivery.sent_at)
            .join(latest, Delivery.id == latest.c.last_id)
            .join(SubscriberRow, SubscriberRow.chat_id == Delivery.chat_id)
            .where(
                Delivery.state == DeliveryState.SENT.value,
                Delivery.sent_at <= newest,
                SubscriberRow.active.is_(True),
                ~acked,
                ~reminded,
            )
            .order_by(Delivery.sent_at, Delivery.id)
        ).all()
        return [ReminderTarget(issue_id, chat_id, lang, sent_at) for issue_id, chat_id, lang, sent_at in rows]

    def claim(self, issue_id: int, chat_id: int, now: dt.datetime) -> bool:
        """Write the reminder row before sending; False if this chat already has one for ISSUE_ID."""
        return _insert_new(
            self._session, ReminderRow,
            {"issue_id": issue_id, "chat_id": chat_id, "state": ReminderState.SENDING.value, "created_at": now},
        )

    def finish(
        self, issue_id: int, chat_id: int, state: ReminderState, now: dt.datetime, *,
        message_id: int | None = None, reason: str | None = None,
    ) -> None:
        """Record how sending the claimed reminder ended."""
        self._session.execute(
            update(ReminderRow)
            .where(ReminderRow.issue_id == issue_id, ReminderRow.chat_id == chat_id)
            .values(
                state=state.value, sent_at=now if state == ReminderState.SENT else None,
                message_id=message_id, reason=reason,
            )
        )

    def states(self, issue_id: int) -> dict[int, str]:
        """chat id -> reminder state, for ISSUE_ID."""
        return {
            chat_id: state
            for chat_id, state in self._session.execute(
                select(ReminderRow.chat_id, ReminderRow.state).where(ReminderRow.issue_id == issue_id)
            )
        }


def _receiving(publication_id: int | None) -> list[Any]:
    """Conditions on SubscriberRow: those who receive PUBLICATION_ID (none: every subscriber)."""
    return [] if publication_id is None else [receives(publication_id)]
