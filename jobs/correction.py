"""Correct or recall an issue after it was pushed: for every chat it reached (from the push ledger), edit the
contents message in place, delete it, or send a correction notice replying to it. Each chat's outcome is recorded.

The push port (jobs/ports.PushPort) only sends and edits, so corrections have their own small port;
bot/common/outbox.py (TelegramCorrector) implements it with python-telegram-bot and raises the jobs.ports errors.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bulletin.i18n import t
from bulletin.render import Rendered, bold, esc, issue_label, render_contents
from jobs.marks import with_internal_mark
from jobs.ports import ChatGone, ChatMigrated, NotDeletable, RetryAfter, SendError
from jobs.push_limits import RateLimiter
from jobs.uow import UnitOfWork, UnitsOfWork
from storage.archive import StoredIssue
from storage.publishing_models import CorrectionAction, ResultState
from storage.publishing_repo import ReachedChat

log = logging.getLogger(__name__)

_MAX_RETRY_AFTER = 5


class CorrectionPort(Protocol):
    """What a correction needs from Telegram."""

    async def edit(self, chat_id: int, message_id: int, rendered: Rendered) -> None: ...

    async def delete(self, chat_id: int, message_id: int) -> None: ...

    async def reply(self, chat_id: int, reply_to: int, rendered: Rendered, *, protect: bool) -> int: ...


@dataclass(frozen=True)
class CorrectionPlan:
    """What a correction will touch: the stored issue and the chats it reached."""

    stored: StoredIssue
    previous_id: int | None
    internal: bool
    chats: list[ReachedChat]


def plan(uow: UnitOfWork, issue_id: int) -> CorrectionPlan | None:
    """The chats ISSUE_ID reached (None if the issue does not exist)."""
    stored = uow.issues.get(issue_id)
    if stored is None:
        return None
    reached = uow.corrections.reached(issue_id)
    return CorrectionPlan(stored, uow.issues.previous_id(issue_id), uow.marks.is_internal(issue_id), reached)


def plan_for(uow: UnitOfWork, ref: str) -> CorrectionPlan | None:
    """The plan for the stored issue REF names (None when there is none)."""
    stored = uow.issues.resolve(ref)
    return None if stored is None else plan(uow, stored.id)


def propose(
    uow: UnitOfWork, issue_id: int, action: CorrectionAction, *, by: int, text: str | None
) -> CorrectionPlan | None:
    """Audit a correction submitted for a second admin's approval (nothing is sent before one approves); its plan,
    or None when the issue is gone."""
    p = plan(uow, issue_id)
    if p is None:
        return None
    uow.audit.record(
        actor_id=by, action=f"correct_{action.value}_propose", issue_id=issue_id,
        detail=f"to {len(p.chats)} chats" + (f": {text}" if text else ""),
    )
    return p


@dataclass(frozen=True)
class CorrectionReport:
    correction_id: int
    counts: dict[str, int]


def notice_text(stored: StoredIssue, text: str, lang: str) -> Rendered:
    """The correction notice sent as a reply to the contents message."""
    title = bold(t(lang, "desk_correction_title"))
    label = esc(issue_label(stored.issue, lang))
    return Rendered(t(lang, "desk_correction_notice", title=title, label=label, text=esc(text)))


# Recorded for a recalled message Telegram would not delete (older than 48 hours): it was edited into a notice.
REPLACED_REASON = "too old to delete: replaced by a recall notice"


def recall_notice_text(stored: StoredIssue, lang: str) -> Rendered:
    """What a recalled contents message says when Telegram no longer lets the bot delete it (no buttons)."""
    return Rendered(t(lang, "desk_recall_notice", label=bold(esc(issue_label(stored.issue, lang)))))


async def run_correction(
    factory: sessionmaker[Session],
    port: CorrectionPort,
    issue_id: int,
    action: CorrectionAction,
    *,
    actor_id: int,
    text: str | None = None,
    approved_by: int | None = None,
    ack_button: bool = False,
    rate_per_second: float = 25.0,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> CorrectionReport | None:
    """Apply ACTION to every chat ISSUE_ID reached and record each outcome; None when the issue does not exist.

    ACTOR_ID proposed it; APPROVED_BY is the second admin who approved it ([publish] approval), if any.
    """

    units = UnitsOfWork(factory)

    def start(uow: UnitOfWork) -> tuple[CorrectionPlan, int] | None:
        p = plan(uow, issue_id)
        if p is None:
            return None
        cid = uow.corrections.create(issue_id, action, text=text, by=actor_id, now=clock())
        uow.audit.record(
            actor_id=actor_id, action=f"correct_{action.value}", issue_id=issue_id,
            detail=f"correction #{cid} to {len(p.chats)} chats"
            + (f", approved by {approved_by}" if approved_by is not None else "")
            + (f": {text}" if text else ""),
        )
        return p, cid

    started = await units.run(start)
    if started is None:
        return None
    p, correction_id = started
    limiter = RateLimiter(rate_per_second)
    renders: dict[str, Rendered] = {}

    def rendered_for(lang: str) -> Rendered:
        if lang not in renders:
            if action is CorrectionAction.NOTICE:
                r = notice_text(p.stored, text or "", lang)
            else:
                r = render_contents(
                    p.stored.id, p.stored.issue, lang=lang, previous_issue_id=p.previous_id, ack_button=ack_button
                )
            renders[lang] = with_internal_mark(r, lang) if p.internal and action is CorrectionAction.EDIT else r
        return renders[lang]

    pending: list[tuple[int, int, ResultState, str | None]] = []

    def flush(uow: UnitOfWork) -> None:
        uow.corrections.record(correction_id, pending, clock())
        pending.clear()

    notices: dict[str, Rendered] = {}

    def notice_for(lang: str) -> Rendered:
        if lang not in notices:
            notices[lang] = recall_notice_text(p.stored, lang)
        return notices[lang]

    for chat in p.chats:
        state, reason = await _one(port, limiter, action, chat, rendered_for(chat.lang), p.internal, notice_for)
        pending.append((chat.chat_id, chat.message_id, state, reason))
        # Outcomes are written as they accumulate, so a crash loses at most one batch of them.
        if len(pending) >= 200:
            await units.run(flush)

    def finish(uow: UnitOfWork) -> dict[str, int]:
        flush(uow)
        repo = uow.corrections
        repo.finish(correction_id, clock())
        counts = {s.value: 0 for s in ResultState}
        for r in repo.results(correction_id):
            counts[r.state] += 1
        return counts

    counts = await units.run(finish)
    log.info("correction #%s (%s) of issue %s: %s", correction_id, action.value, issue_id, counts)
    return CorrectionReport(correction_id, counts)


# ---- a second admin's approval ([publish] approval = true)


class ApprovalRefused(Exception):
    """An approval press that may not count; `code` picks the chat text (desk_<code>)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check_approver(proposer_id: int, approver_id: int) -> None:
    """Raise ApprovalRefused("self_approve_correction") when the proposer tries to approve their own correction."""
    if proposer_id == approver_id:
        raise ApprovalRefused("self_approve_correction")


def record_decision(uow: UnitOfWork, issue_id: int, action: CorrectionAction, *, by: int, proposer_id: int) -> str:
    """Audit a proposed correction that was turned down: withdrawn by its proposer or rejected by another admin;
    returns which ("withdrawn" | "rejected")."""
    outcome = "withdrawn" if by == proposer_id else "rejected"
    uow.audit.record(
        actor_id=by, action=f"correct_{action.value}_{outcome}", issue_id=issue_id, detail=f"proposed by {proposer_id}"
    )
    return outcome


async def _one(
    port: CorrectionPort, limiter: RateLimiter, action: CorrectionAction, chat: ReachedChat, rendered: Rendered,
    protect: bool, recall_notice: Callable[[str], Rendered],
) -> tuple[ResultState, str | None]:
    replace_with: Rendered | None = None  # a recall whose message can no longer be deleted edits it instead
    for _ in range(_MAX_RETRY_AFTER):
        ticket = await limiter.acquire()
        try:
            if replace_with is not None:
                await port.edit(chat.chat_id, chat.message_id, replace_with)
                return ResultState.REPLACED, REPLACED_REASON
            if action is CorrectionAction.EDIT:
                await port.edit(chat.chat_id, chat.message_id, rendered)
            elif action is CorrectionAction.RECALL:
                await port.delete(chat.chat_id, chat.message_id)
            else:
                await port.reply(chat.chat_id, chat.message_id, rendered, protect=protect)
            return ResultState.DONE, None
        except RetryAfter as exc:
            # Edits and deletes are flood-limited as well, sometimes for more than a minute: wait it out.
            limiter.pause(exc.seconds + 0.1)
        except NotDeletable as exc:
            if action is not CorrectionAction.RECALL or replace_with is not None:
                return ResultState.FAILED, exc.reason
            log.info("message %s in %s can't be deleted (%s): replacing it", chat.message_id, chat.chat_id, exc.reason)
            replace_with = recall_notice(chat.lang)
        except (ChatGone, ChatMigrated) as exc:
            return ResultState.GONE, exc.reason
        except SendError as exc:
            return ResultState.FAILED, exc.reason
        finally:
            limiter.done(ticket)
    return ResultState.FAILED, "flood control: gave up after repeated 429"
