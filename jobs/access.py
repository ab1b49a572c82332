"""Access use cases: who may subscribe ([access] mode open / invite / approval), invites, request decisions and
removals. Each runs inside one unit of work; the Telegram glue (bot/features/access.py) parses, calls, renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from jobs.uow import UnitOfWork
from storage.access_repo import InviteStatus, SubscriptionRequest
from storage.subscribers import Subscriber

T = TypeVar("T")


@dataclass(frozen=True)
class Applicant:
    """The chat that asks to subscribe, and who asks."""

    chat_id: int
    chat_type: str
    user_id: int | None
    display_name: str
    language_code: str | None


@dataclass(frozen=True)
class AccessRules:
    """The [access] settings admission reads."""

    mode: str  # open | invite | approval
    admins: tuple[int, ...]  # configured admins (added admins live in the database)


@dataclass(frozen=True)
class Admission:
    key: str  # i18n key of the answer
    request: SubscriptionRequest | None = None  # a new request to announce to the admins
    admins: tuple[int, ...] = ()


def invite_refusal(status: InviteStatus) -> str:
    """The i18n key that says why an invite code does not let a chat in."""
    return {
        InviteStatus.UNKNOWN: "access_invite_unknown",
        InviteStatus.EXPIRED: "access_invite_expired",
        InviteStatus.USED_UP: "access_invite_used_up",
        InviteStatus.REVOKED: "access_invite_revoked",
    }.get(status, "access_invite_unknown")


def _with_applicant(call: Callable[..., T], applicant: Applicant, department: str) -> T:
    """CALL (a subscription or a request) with the applicant's chat, person and DEPARTMENT."""
    return call(
        applicant.chat_id,
        chat_type=applicant.chat_type,
        user_id=applicant.user_id,
        display_name=applicant.display_name,
        language_code=applicant.language_code,
        department=department,
    )


def refusal_before_subscribing(
    uow: UnitOfWork, chat_id: int, user_id: int | None, rules: AccessRules, code: str | None
) -> str | None:
    """Before offering the department keyboard: the i18n key of a refusal when the chat may not subscribe now.

    Only mode "invite" refuses up front (no valid invite code); "approval" asks the admins later.
    """
    if rules.mode != "invite":
        return None
    current = uow.subscribers.get(chat_id)
    if current is not None and current.active:
        return None
    if _bot_admin(uow, user_id, rules):
        return None
    if code is None:
        return "access_invite_required"
    status = uow.invites.check(code)
    return None if status is InviteStatus.VALID else invite_refusal(status)


def _bot_admin(uow: UnitOfWork, user_id: int | None, rules: AccessRules) -> bool:
    return user_id is not None and uow.admins.is_admin(user_id, rules.admins)


def admit(
    uow: UnitOfWork, applicant: Applicant, department: str, rules: AccessRules, code: str | None, *,
    group_admin: bool = True,
) -> Admission:
    """Subscribe APPLICANT with DEPARTMENT as the rules allow, or change an active subscriber's department.

    Admins, "open" mode and a valid invite code (used in this same unit of work) subscribe at once; "invite" without
    a valid code is refused; "approval" records a request for the admins (announced by the caller). An active
    group's department is changed only by the group's admins (GROUP_ADMIN: what Telegram said, asked before this
    unit of work; always True in a private chat) or the bot's admins ("group_admins_only" otherwise).
    """
    repo = uow.subscribers
    current = repo.get(applicant.chat_id)
    if current is not None and current.active:
        if not group_admin and not _bot_admin(uow, applicant.user_id, rules):
            return Admission("group_admins_only")
        repo.set_department(applicant.chat_id, department)
        return Admission("department_changed")

    def add() -> Admission:
        _with_applicant(repo.subscribe, applicant, department)
        return Admission("subscribed")

    if rules.mode == "open" or _bot_admin(uow, applicant.user_id, rules):
        return add()
    if code is not None:
        status = uow.invites.use(code)
        if status is InviteStatus.VALID:
            return add()
        if rules.mode == "invite":
            return Admission(invite_refusal(status))
    if rules.mode == "invite":
        return Admission("access_invite_required")
    request, created = _with_applicant(uow.requests.create, applicant, department)
    if not created:
        return Admission("access_request_pending")
    return Admission("access_request_sent", request, tuple(uow.admins.all(rules.admins)))


def leave(uow: UnitOfWork, chat_id: int, user_id: int | None, rules: AccessRules, *, group_admin: bool = True) -> str:
    """End CHAT_ID's subscription; the i18n key of the answer. A group's only by its admins (GROUP_ADMIN, asked of
    Telegram before this unit of work) or the bot's ("group_admins_only" otherwise, even when it is not subscribed)."""
    if not group_admin and not _bot_admin(uow, user_id, rules):
        return "group_admins_only"
    return "unsubscribed" if uow.subscribers.unsubscribe(chat_id) else "not_subscribed"


def check_invite(uow: UnitOfWork, chat_id: int, code: str) -> tuple[InviteStatus, Subscriber | None]:
    """An opened invite link: the code's status and the chat's current subscription."""
    return uow.invites.check(code), uow.subscribers.get(chat_id)


def create_invite(uow: UnitOfWork, actor: int | None, expires: dt.datetime, uses: int | None) -> str:
    """A new invite code (USES None: unlimited), audited."""
    invite = uow.invites.create(created_by=actor, expires_at=expires, max_uses=uses)
    uow.audit.record(
        actor_id=actor,
        action="invite_create",
        detail=f"uses={'unlimited' if uses is None else uses} expires={expires.isoformat(timespec='minutes')}",
    )
    return invite.code


def remove_subscriber(uow: UnitOfWork, chat_id: int, actor: int | None) -> Subscriber | None:
    """An admin ends CHAT_ID's subscription (audited); None when it has none."""
    current = uow.subscribers.get(chat_id)
    if current is None or not current.active:
        return None
    uow.subscribers.deactivate(chat_id, f"removed by admin {actor}")
    uow.audit.record(
        actor_id=actor, action="subscriber_remove", subscriber_chat_id=chat_id, detail=current.display_name
    )
    return current


def decide_request(
    uow: UnitOfWork, request_id: int, approve: bool, actor: int
) -> tuple[SubscriptionRequest | None, SubscriptionRequest | None]:
    """Approve or deny a pending request, once (audited; approval subscribes the chat).

    Returns (the decided request, None), or (None, the request as decided earlier, or None when there is none).
    """
    decided = uow.requests.decide(request_id, approve=approve, decided_by=actor)
    if decided is None:
        return None, uow.requests.get(request_id)
    if approve:
        uow.subscribers.subscribe(
            decided.chat_id,
            chat_type=decided.chat_type,
            user_id=decided.user_id,
            display_name=decided.display_name,
            language_code=decided.language_code,
            department=decided.department,
        )
    uow.audit.record(
        actor_id=actor,
        action="request_approve" if approve else "request_deny",
        subscriber_chat_id=decided.chat_id,
        detail=f"{decided.display_name} · {decided.department}",
    )
    return decided, None
