"""ORM models of publishing in chat: approvals awaiting a second admin, handling marks, corrections after a push."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class ApprovalState(enum.StrEnum):
    """pending -> approved | rejected | withdrawn (by the uploader)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class DeskApproval(Base):
    """An upload its admin confirmed, waiting for a second admin ([publish] approval = true).

    The parsed issue is kept as JSON here, not in the archive: nothing reaches `issues` before approval.
    """

    __tablename__ = "desk_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uploader_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    issue_json: Mapped[str] = mapped_column(Text)
    replace: Mapped[bool] = mapped_column(Boolean, default=False)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: push as soon as approved.
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default=ApprovalState.PENDING.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id", ondelete="SET NULL"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_desk_approvals_state", "state"),)


class IssueMark(Base):
    """A handling mark on a stored issue; internal (内部资料) issues are sent with protect_content."""

    __tablename__ = "issue_marks"

    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    marked_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CorrectionAction(enum.StrEnum):
    """What a correction does to every chat an issue reached."""

    EDIT = "edit"  # replace the contents message in place
    RECALL = "recall"  # delete the contents message
    NOTICE = "notice"  # send a correction notice replying to it


class ResultState(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"
    GONE = "gone"  # the chat blocked the bot or no longer exists
    REPLACED = "replaced"  # a recall Telegram refused to delete (over 48 hours old): edited into a recall notice


class Correction(Base):
    """One correction of a pushed issue, by an admin."""

    __tablename__ = "desk_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CorrectionResult(Base):
    """The outcome of one correction in one chat."""

    __tablename__ = "desk_correction_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("desk_corrections.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("correction_id", "chat_id", name="uq_desk_correction_results_chat"),)
