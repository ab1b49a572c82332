"""Repositories of access control: admins, the audit log, invites and subscription requests. Never commit."""

from __future__ import annotations

import builtins
import datetime as dt
import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.access_models import AdminRow, AuditRow, InviteRow, RequestState, SubscriptionRequestRow
from storage.models import SubscriberRow
from storage.rows import Contact, fill, record
from storage.types import utcnow

__all__ = [
    "AddedAdmin",
    "AdminRepository",
    "AuditEntry",
    "AuditLog",
    "Invite",
    "InviteRepository",
    "InviteStatus",
    "RequestRepository",
    "RequestState",
    "RosterEntry",
    "SubscriptionRequest",
    "roster",
]


# --- admins


@dataclass(frozen=True)
class AddedAdmin:
    """An admin added at run time."""

    user_id: int
    added_by: int | None
    added_at: dt.datetime


class AdminRepository:
    """Admins added at run time; together with [access] admins they are the admins. The caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def is_admin(self, user_id: int, configured: Sequence[int]) -> bool:
        """True when USER_ID is in CONFIGURED ([access] admins) or was added; read now, never cached."""
        if user_id in configured:
            return True
        return self._session.get(AdminRow, user_id) is not None

    def add(self, user_id: int, *, added_by: int | None) -> bool:
        """Make USER_ID an admin; False if it already was one (as an added admin)."""
        if self._session.get(AdminRow, user_id) is not None:
            return False
        self._session.add(AdminRow(user_id=user_id, added_by=added_by, added_at=utcnow()))
        self._session.flush()
        return True

    def remove(self, user_id: int) -> bool:
        """Remove an added admin; False if USER_ID was not one (configured admins are not stored here)."""
        result = self._session.execute(delete(AdminRow).where(AdminRow.user_id == user_id))
        return bool(getattr(result, "rowcount", 0))

    def list(self) -> builtins.list[int]:
        """The added admins' user ids, ascending."""
        return builtins.list(self._session.scalars(select(AdminRow.user_id).order_by(AdminRow.user_id)))

    def added(self) -> builtins.list[AddedAdmin]:
        """The added admins with who added them and when, by user id."""
        rows = self._session.scalars(select(AdminRow).order_by(AdminRow.user_id))
        return [AddedAdmin(r.user_id, r.added_by, r.added_at) for r in rows]

    def all(self, configured: Sequence[int]) -> builtins.list[int]:
        """Every admin: configured ones and added ones, ascending, without duplicates."""
        return sorted(set(configured) | set(self.list()))


# --- audit log


@dataclass(frozen=True)
class AuditEntry:
    """One recorded admin action."""

    at: dt.datetime
    actor_id: int | None
    action: str
    issue_id: int | None
    subscriber_chat_id: int | None
    detail: str

    def line(self, when: str) -> str:
        """This entry as one plain-text line, WHEN being its time already formatted for the reader."""
        parts = [when, str(self.actor_id) if self.actor_id is not None else "-", self.action]
        if self.issue_id is not None:
            parts.append(f"issue={self.issue_id}")
        if self.subscriber_chat_id is not None:
            parts.append(f"chat={self.subscriber_chat_id}")
        if self.detail:
            parts.append(self.detail)
        return "  ".join(parts)


class AuditLog:
    """The append-only log of admin actions; record in the same transaction as the action itself."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        *,
        actor_id: int | None,
        action: str,
        issue_id: int | None = None,
        subscriber_chat_id: int | None = None,
        detail: str = "",
    ) -> None:
        """Append one entry, stamped now (UTC). ACTION is a short verb such as "admin_add" or "publish"."""
        self._session.add(
            AuditRow(
                at=utcnow(),
                actor_id=actor_id,
                action=action[:64],
                issue_id=issue_id,
                subscriber_chat_id=subscriber_chat_id,
                detail=detail,
            )
        )
        self._session.flush()

    def recent(
        self, limit: int = 50, *, actor_id: int | None = None, issue_id: int | None = None
    ) -> builtins.list[AuditEntry]:
        """The newest LIMIT entries, newest first, optionally only those of ACTOR_ID or on ISSUE_ID."""
        stmt = select(AuditRow)
        if actor_id is not None:
            stmt = stmt.where(AuditRow.actor_id == actor_id)
        if issue_id is not None:
            stmt = stmt.where(AuditRow.issue_id == issue_id)
        rows = self._session.scalars(stmt.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit))
        return [
            AuditEntry(r.at, r.actor_id, r.action, r.issue_id, r.subscriber_chat_id, r.detail) for r in rows
        ]


# --- invites


class InviteStatus(enum.Enum):
    """What checking or using an invite code found."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Invite:
    """An invite code and its limits."""

    id: int
    code: str
    created_by: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    max_uses: int | None
    uses: int
    revoked: bool


def _to_invite(row: InviteRow) -> Invite:
    return record(Invite, row)


def _status(row: InviteRow | None, now: dt.datetime) -> InviteStatus:
    if row is None:
        return InviteStatus.UNKNOWN
    if row.revoked:
        return InviteStatus.REVOKED
    if now >= row.expires_at:
        return InviteStatus.EXPIRED
    if row.max_uses is not None and row.uses >= row.max_uses:
        return InviteStatus.USED_UP
    return InviteStatus.VALID


class InviteRepository:
    """Invite codes for [access] mode = "invite"; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def create(self, *, created_by: int | None, expires_at: dt.datetime, max_uses: int | None) -> Invite:
        """A new unguessable code (URL-safe, fits a t.me start parameter), valid until EXPIRES_AT."""
        row = InviteRow(
            code=secrets.token_urlsafe(12),
            created_by=created_by,
            created_at=utcnow(),
            expires_at=expires_at,
            max_uses=max_uses,
            uses=0,
            revoked=False,
        )
        self._session.add(row)
        self._session.flush()
        return _to_invite(row)

    def _row(self, code: str) -> InviteRow | None:
        return self._session.scalar(select(InviteRow).where(InviteRow.code == code))

    def check(self, code: str, now: dt.datetime | None = None) -> InviteStatus:
        """Whether CODE could be used now (nothing is consumed)."""
        return _status(self._row(code), now or utcnow())

    def use(self, code: str, now: dt.datetime | None = None) -> InviteStatus:
        """Consume one use of CODE when it is valid.

        The increment is conditional on the count just read, so two racing uses of a single-use code cannot both
        succeed; the loser re-reads the code (a multi-use code may still have uses left).
        """
        now = now or utcnow()
        for _attempt in range(5):
            row = self._row(code)
            status = _status(row, now)
            if status is not InviteStatus.VALID or row is None:
                return status
            stmt = (
                update(InviteRow).where(InviteRow.id == row.id, InviteRow.uses == row.uses).values(uses=row.uses + 1)
            )
            consumed = bool(getattr(self._session.execute(stmt), "rowcount", 0))
            self._session.refresh(row)
            if consumed:
                return InviteStatus.VALID
        return InviteStatus.USED_UP

    def revoke(self, code: str) -> bool:
        """Stop CODE from working; False if unknown or already revoked."""
        row = self._row(code)
        if row is None or row.revoked:
            return False
        row.revoked = True
        self._session.flush()
        return True

    def active(self, now: dt.datetime | None = None) -> builtins.list[Invite]:
        """Invites that can still be used, newest first."""
        now = now or utcnow()
        rows = self._session.scalars(select(InviteRow).order_by(InviteRow.id.desc()))
        return [_to_invite(r) for r in rows if _status(r, now) is InviteStatus.VALID]


# --- subscription requests


@dataclass(frozen=True)
class SubscriptionRequest:
    """A request to subscribe, in [access] mode = "approval"."""

    id: int
    chat_id: int
    chat_type: str
    user_id: int | None
    display_name: str
    language_code: str | None
    department: str
    state: RequestState
    created_at: dt.datetime
    decided_by: int | None


def _to_request(row: SubscriptionRequestRow) -> SubscriptionRequest:
    return record(SubscriptionRequest, row, state=RequestState(row.state))


class RequestRepository:
    """Subscription requests waiting for an admin; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def pending_for(self, chat_id: int) -> SubscriptionRequest | None:
        """CHAT_ID's pending request, if any."""
        row = self._pending_row(chat_id)
        return _to_request(row) if row else None

    def _pending_row(self, chat_id: int) -> SubscriptionRequestRow | None:
        stmt = select(SubscriptionRequestRow).where(
            SubscriptionRequestRow.chat_id == chat_id, SubscriptionRequestRow.state == RequestState.PENDING.value
        )
        return self._session.scalar(stmt.order_by(SubscriptionRequestRow.id.desc()))

    def create(self, chat_id: int, **contact: Unpack[Contact]) -> tuple[SubscriptionRequest, bool]:
        """A pending request for CHAT_ID; an existing pending one is updated instead. True when it is new."""
        row = self._pending_row(chat_id)
        created = row is None
        if row is None:
            row = SubscriptionRequestRow(chat_id=chat_id, state=RequestState.PENDING.value, created_at=utcnow())
            self._session.add(row)
        fill(row, contact)
        self._session.flush()
        return _to_request(row), created

    def get(self, request_id: int) -> SubscriptionRequest | None:
        """The request with REQUEST_ID."""
        row = self._session.get(SubscriptionRequestRow, request_id)
        return _to_request(row) if row else None

    def decide(self, request_id: int, *, approve: bool, decided_by: int) -> SubscriptionRequest | None:
        """Approve or deny a pending request; None if it is unknown or already decided (a replayed press)."""
        row = self._session.get(SubscriptionRequestRow, request_id)
        if row is None or row.state != RequestState.PENDING.value:
            return None
        row.state = (RequestState.APPROVED if approve else RequestState.DENIED).value
        row.decided_by = decided_by
        row.decided_at = utcnow()
        self._session.flush()
        return _to_request(row)

    def pending(self) -> builtins.list[SubscriptionRequest]:
        """Every pending request, oldest first."""
        stmt = select(SubscriptionRequestRow).where(SubscriptionRequestRow.state == RequestState.PENDING.value)
        return [_to_request(r) for r in self._session.scalars(stmt.order_by(SubscriptionRequestRow.id))]


# --- the subscriber roster (listing and CSV export)


@dataclass(frozen=True)
class RosterEntry:
    """A subscriber as the office lists or exports it, with the dates and the reason a subscription ended."""

    chat_id: int
    chat_type: str
    user_id: int | None
    display_name: str
    language_code: str | None
    department: str | None
    active: bool
    subscribed_at: dt.datetime
    deactivated_reason: str | None


def roster(session: Session, *, include_inactive: bool = False) -> builtins.list[RosterEntry]:
    """Subscribers by department then name (active ones only unless INCLUDE_INACTIVE)."""
    stmt = select(SubscriberRow)
    if not include_inactive:
        stmt = stmt.where(SubscriberRow.active.is_(True))
    rows = session.scalars(stmt.order_by(SubscriberRow.department, SubscriberRow.display_name, SubscriberRow.id))
    return [
        RosterEntry(
            r.chat_id,
            r.chat_type,
            r.user_id,
            r.display_name,
            r.language_code,
            r.department,
            r.active,
            r.subscribed_at,
            r.deactivated_reason,
        )
        for r in rows
    ]
