"""ORM models of access control: admins added at run time, invites, subscription requests and the audit log."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class AdminRow(Base):
    """An admin added with `bulletin-bot admins add` (those in [access] admins are not stored)."""

    __tablename__ = "access_admins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    """One admin action (or a refused attempt at one): who, what, when, on which issue or subscriber."""

    __tablename__ = "access_audit"
    __table_args__ = (Index("ix_access_audit_at", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    issue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subscriber_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class InviteRow(Base):
    """An invite code for [access] mode = "invite": single- or multi-use, with an expiry."""

    __tablename__ = "access_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: unlimited until expiry
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class RequestState(enum.StrEnum):
    """A subscription request in [access] mode = "approval": pending -> approved | denied."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class SubscriptionRequestRow(Base):
    """Someone asking to subscribe, waiting for an admin's decision."""

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_chat_state", "chat_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    chat_type: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    display_name: Mapped[str] = mapped_column(Text)
    language_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    department: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=RequestState.PENDING.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
