"""Repositories for publishing in chat (approvals, handling marks, corrections). They never commit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from bulletin.model import Article, Issue, TocEntry
from storage.publishing_models import (
    ApprovalState,
    Correction,
    CorrectionAction,
    CorrectionResult,
    DeskApproval,
    IssueMark,
    ResultState,
)
from storage.push_models import Delivery, DeliveryState, Push


def issue_to_json(issue: Issue) -> str:
    """ISSUE as JSON, losslessly (toc sections and warnings included), for keeping an upload until approval."""
    data: dict[str, Any] = {
        "masthead": issue.masthead,
        "year": issue.year,
        "number": issue.number,
        "total_number": issue.total_number,
        "publisher": issue.publisher,
        "date": issue.date.isoformat() if issue.date else None,
        "toc": [[e.title, e.section] for e in issue.toc],
        "articles": [[a.title, list(a.paragraphs)] for a in issue.articles],
        "footer": list(issue.footer),
        "warnings": list(issue.warnings),
        "week": issue.week,
        "marks": list(issue.marks),
    }
    return json.dumps(data, ensure_ascii=False)


def issue_from_json(text: str) -> Issue:
    """The inverse of issue_to_json."""
    d = json.loads(text)
    return Issue(
        masthead=d["masthead"],
        year=d["year"],
        number=d["number"],
        total_number=d["total_number"],
        publisher=d["publisher"],
        date=dt.date.fromisoformat(d["date"]) if d["date"] else None,
        toc=tuple(TocEntry(title, section) for title, section in d["toc"]),
        articles=tuple(Article(title, tuple(paragraphs)) for title, paragraphs in d["articles"]),
        footer=tuple(d["footer"]),
        warnings=tuple(d["warnings"]),
        # Approvals kept before week and marks existed have neither.
        week=d.get("week"),
        marks=tuple(d.get("marks", ())),
    )


@dataclass(frozen=True, slots=True)
class ApprovalInfo:
    """A snapshot of one upload awaiting (or past) approval."""

    id: int
    uploader_id: int
    source: str
    issue: Issue
    replace: bool
    internal: bool
    scheduled_at: dt.datetime | None
    state: str
    created_at: dt.datetime
    decided_by: int | None
    decided_at: dt.datetime | None
    issue_id: int | None


def _approval(row: DeskApproval) -> ApprovalInfo:
    return ApprovalInfo(
        row.id, row.uploader_id, row.source, issue_from_json(row.issue_json), row.replace, row.internal,
        row.scheduled_at, row.state, row.created_at, row.decided_by, row.decided_at, row.issue_id,
    )


class ApprovalRepository:
    """Uploads confirmed by their admin and waiting for a second one."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, *, uploader_id: int, source: str, issue: Issue, replace: bool, internal: bool,
        scheduled_at: dt.datetime | None, now: dt.datetime,
    ) -> ApprovalInfo:
        row = DeskApproval(
            uploader_id=uploader_id, source=source[:2000], issue_json=issue_to_json(issue), replace=replace,
            internal=internal, scheduled_at=scheduled_at, state=ApprovalState.PENDING.value, created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _approval(row)

    def get(self, approval_id: int) -> ApprovalInfo | None:
        row = self.session.get(DeskApproval, approval_id)
        return None if row is None else _approval(row)

    def decide(
        self, approval_id: int, state: ApprovalState, *, by: int, now: dt.datetime, issue_id: int | None = None,
        note: str | None = None,
    ) -> bool:
        """Move a pending approval to STATE; False when someone else decided first (or it never existed)."""
        result = self.session.execute(
            update(DeskApproval)
            .where(DeskApproval.id == approval_id, DeskApproval.state == ApprovalState.PENDING.value)
            .values(state=state.value, decided_by=by, decided_at=now, issue_id=issue_id, note=note)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def pending(self) -> list[ApprovalInfo]:
        rows = self.session.scalars(
            select(DeskApproval).where(DeskApproval.state == ApprovalState.PENDING.value).order_by(DeskApproval.id)
        )
        return [_approval(r) for r in rows]


class MarkRepository:
    """Handling marks of stored issues."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def set_internal(self, issue_id: int, internal: bool, *, by: int | None, now: dt.datetime) -> None:
        row = self.session.get(IssueMark, issue_id)
        if row is None:
            self.session.add(IssueMark(issue_id=issue_id, internal=internal, marked_by=by, marked_at=now))
        else:
            row.internal, row.marked_by, row.marked_at = internal, by, now
        self.session.flush()

    def is_internal(self, issue_id: int) -> bool:
        return bool(self.session.scalar(select(IssueMark.internal).where(IssueMark.issue_id == issue_id)))


@dataclass(frozen=True, slots=True)
class ReachedChat:
    """A chat that received an issue's contents message, and that message."""

    chat_id: int
    message_id: int
    lang: str


@dataclass(frozen=True, slots=True)
class ResultInfo:
    chat_id: int
    message_id: int
    state: str
    reason: str | None


class CorrectionRepository:
    """Corrections of pushed issues and their per-chat outcomes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def reached(self, issue_id: int) -> list[ReachedChat]:
        """Every chat whose latest successful delivery of ISSUE_ID has a message id, minus recalled messages."""
        latest = (
            select(func.max(Delivery.id).label("last_id"))
            .join(Push, Push.id == Delivery.push_id)
            .where(
                Push.issue_id == issue_id,
                Delivery.state == DeliveryState.SENT.value,
                Delivery.message_id.is_not(None),
            )
            .group_by(Delivery.chat_id)
            .subquery()
        )
        recalled = (
            select(CorrectionResult.chat_id, CorrectionResult.message_id)
            .join(Correction, Correction.id == CorrectionResult.correction_id)
            .where(
                Correction.issue_id == issue_id,
                Correction.action == CorrectionAction.RECALL.value,
                # a replaced message reads as recalled: later corrections leave it alone
                CorrectionResult.state.in_((ResultState.DONE.value, ResultState.REPLACED.value)),
            )
        )
        gone = {(c, m) for c, m in self.session.execute(recalled)}
        rows = self.session.execute(
            select(Delivery.chat_id, Delivery.message_id, Delivery.lang)
            .join(latest, and_(Delivery.id == latest.c.last_id))
            .order_by(Delivery.id)
        )
        return [
            ReachedChat(int(c), int(m), lang) for c, m, lang in rows if m is not None and (c, m) not in gone
        ]

    def create(
        self, issue_id: int, action: CorrectionAction, *, text: str | None, by: int, now: dt.datetime
    ) -> int:
        row = Correction(issue_id=issue_id, action=action.value, text=text, created_by=by, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row.id

    def record(
        self, correction_id: int, results: Sequence[tuple[int, int, ResultState, str | None]], now: dt.datetime
    ) -> None:
        """Write (chat_id, message_id, state, reason) outcomes of a correction."""
        for chat_id, message_id, state, reason in results:
            self.session.add(
                CorrectionResult(
                    correction_id=correction_id, chat_id=chat_id, message_id=message_id, state=state.value,
                    reason=reason, at=now,
                )
            )
        self.session.flush()

    def finish(self, correction_id: int, now: dt.datetime) -> None:
        row = self.session.get(Correction, correction_id)
        if row is not None:
            row.finished_at = now

    def results(self, correction_id: int) -> list[ResultInfo]:
        rows = self.session.scalars(
            select(CorrectionResult)
            .where(CorrectionResult.correction_id == correction_id)
            .order_by(CorrectionResult.id)
        )
        return [ResultInfo(r.chat_id, r.message_id, r.state, r.reason) for r in rows]
