"""ORM models of receipts: 已阅 acknowledgements, article opens and reminders, per issue and chat."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class AckRow(Base):
    """A press of the contents message's 已阅 button: the first press per (issue, chat, user) counts.

    The department is a snapshot of the chat's subscription at the time of the press (a later department
    change does not rewrite history); statistics group by the chat's current department.
    """

    __tablename__ = "receipt_acks"
    __table_args__ = (
        UniqueConstraint("issue_id", "chat_id", "user_id", name="uq_receipt_acks_issue_chat_user"),
        Index("ix_receipt_acks_issue_chat", "issue_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    department: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ArticleOpenRow(Base):
    """An article of an issue opened in a chat: one row per (issue, chat, article), counting the opens."""

    __tablename__ = "receipt_article_opens"
    __table_args__ = (
        UniqueConstraint("issue_id", "chat_id", "position", name="uq_receipt_opens_issue_chat_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)
    department: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    opens: Mapped[int] = mapped_column(Integer, default=1)


class ReminderState(enum.StrEnum):
    """A reminder row is written 'sending' (and committed) before the request, so a chat is never reminded twice."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ReminderRow(Base):
    """The one reminder an unacknowledged chat gets for an issue."""

    __tablename__ = "receipt_reminders"
    __table_args__ = (UniqueConstraint("issue_id", "chat_id", name="uq_receipt_reminders_issue_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=ReminderState.SENDING.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
