"""The subscriber repository: chats that receive the bulletin. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Unpack

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import SubscriberRow
from storage.rows import Contact, fill, record


@dataclass(frozen=True)
class Subscriber:
    """A chat subscribed (or once subscribed) to the bulletin."""

    chat_id: int
    chat_type: str
    user_id: int | None
    display_name: str
    language_code: str | None
    department: str | None
    active: bool


def _to_subscriber(row: SubscriberRow) -> Subscriber:
    return record(Subscriber, row)


class SubscriberRepository:
    """Subscribers by chat id; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _row(self, chat_id: int) -> SubscriberRow | None:
        return self._session.scalar(select(SubscriberRow).where(SubscriberRow.chat_id == chat_id))

    def get(self, chat_id: int) -> Subscriber | None:
        """The subscriber for CHAT_ID, active or not."""
        row = self._row(chat_id)
        return _to_subscriber(row) if row else None

    def subscribe(self, chat_id: int, **contact: Unpack[Contact]) -> Subscriber:
        """Subscribe CHAT_ID, or reactivate and update its existing row."""
        row = self._row(chat_id)
        if row is None:
            row = SubscriberRow(chat_id=chat_id)
            self._session.add(row)
        fill(row, contact)
        row.active = True
        row.deactivated_reason = None
        self._session.flush()
        return _to_subscriber(row)

    def unsubscribe(self, chat_id: int) -> bool:
        """End CHAT_ID's subscription; False if it had no active subscription."""
        row = self._row(chat_id)
        if row is None or not row.active:
            return False
        row.active = False
        row.deactivated_reason = "unsubscribed"
        self._session.flush()
        return True

    def set_department(self, chat_id: int, department: str) -> bool:
        """Change CHAT_ID's department; False if the chat never subscribed."""
        row = self._row(chat_id)
        if row is None:
            return False
        row.department = department
        self._session.flush()
        return True

    def deactivate(self, chat_id: int, reason: str) -> None:
        """Stop delivering to CHAT_ID (blocked the bot, chat gone), keeping REASON; no-op if unknown."""
        row = self._row(chat_id)
        if row is None:
            return
        row.active = False
        row.deactivated_reason = reason
        self._session.flush()

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """Follow a group that became a supergroup: the subscription moves to NEW_CHAT_ID.

        If NEW_CHAT_ID already has a row (it subscribed on its own), that row wins and the old one is deactivated.
        """
        old = self._row(old_chat_id)
        if old is None:
            return
        if self._row(new_chat_id) is not None:
            old.active = False
            old.deactivated_reason = f"migrated to {new_chat_id}"
        else:
            old.chat_id = new_chat_id
            old.chat_type = "supergroup"
        self._session.flush()

    def active(self) -> list[Subscriber]:
        """Active subscribers, in subscription order."""
        rows = self._session.scalars(
            select(SubscriberRow).where(SubscriberRow.active.is_(True)).order_by(SubscriberRow.id)
        )
        return [_to_subscriber(row) for row in rows]

    def count_active(self) -> int:
        """How many chats are subscribed."""
        stmt = select(func.count()).select_from(SubscriberRow).where(SubscriberRow.active.is_(True))
        return self._session.scalar(stmt) or 0
