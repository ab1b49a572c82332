"""ORM models of pushes (one scheduled delivery of an issue) and their delivery ledger (one row per chat)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class PushState(enum.StrEnum):
    """Life cycle of a push: scheduled -> running -> done; or cancelled (unpublish), or missed (too late)."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    MISSED = "missed"


class PushKind(enum.StrEnum):
    """A first publication to all active subscribers, or a resend to the chats whose delivery failed."""

    PUBLISH = "publish"
    RESEND = "resend"


class DeliveryState(enum.StrEnum):
    """One chat's delivery: pending -> sending -> sent | failed | skipped.

    'sending' is written (and committed) before the request goes out, so after a crash exactly the rows that
    were in flight are 'sending'; they are sent again, and those are the only possible duplicates.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Push(Base):
    """One scheduled delivery of an issue's contents message."""

    __tablename__ = "pushes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=PushKind.PUBLISH.value)
    scheduled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default=PushState.SCHEDULED.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set in the transaction that wrote the ledger rows, so an empty ledger (no subscribers) is still "done".
    materialized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Why a push ended as missed/cancelled, for `schedule`/`status`.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_pushes_state_scheduled_at", "state", "scheduled_at"),)


class Delivery(Base):
    """The ledger: one row per (push, chat)."""

    __tablename__ = "push_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("pushes.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # The chat id when the ledger was written; differs from chat_id after a group migrated to a supergroup.
    original_chat_id: Mapped[int] = mapped_column(BigInteger)
    chat_type: Mapped[str] = mapped_column(String(16), default="private")
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("push_id", "chat_id", name="uq_push_deliveries_push_chat"),
        # The push pages through its pending rows in id order (storage/push_repo.py pending_ids).
        Index("ix_push_deliveries_push_state_id", "push_id", "state", "id"),
    )
