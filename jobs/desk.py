"""Publishing from chat (the office's desk): check an upload against the archive, then store and schedule it on
confirmation, directly or after a second admin's approval. No telegram here: bot/features/desk.py calls these.

Every function takes the caller's unit of work (jobs/uow.py: one transaction, so the upload is stored, marked,
scheduled and audited together, or not at all) and an aware `now`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx

from bulletin.corrections import identifiable
from bulletin.model import Issue
from bulletin.render import issue_label
from jobs.intake import Taken, apply_remembered, corrections_detail, remember
from jobs.netguard import (
    BadScheme,
    Encoded,
    NetworkPolicy,
    TooBig,
    TooManyRedirects,
    Unreachable,
    guarded_get,
    read_limited,
)
from jobs.push import PublishError, publish
from jobs.schedule import (
    NO_OVERRIDES,
    CalendarOverrides,
    ScheduleError,
    Slot,
    next_default_slot,
    parse_at,
    parse_clock,
)
from jobs.uow import UnitOfWork
from storage.archive import ImportOutcome, StoredIssue, canonical
from storage.publishing_models import ApprovalState
from storage.publishing_repo import ApprovalInfo
from storage.push_models import PushKind, PushState

TOMORROW_TIME = dt.time(9, 0)
_CLOCK_ONLY = re.compile(r"\d{1,2}[:：]\d{2}")


@dataclass(frozen=True)
class Draft:
    """A parsed upload waiting for its admin's decision (kept in memory by the bot, never in the database)."""

    issue: Issue
    source: str
    uploader_id: int
    internal: bool = False
    replace: bool = False
    # The masthead as parsed, before remembered or typed corrections: the key of the series' remembered corrections.
    parsed_masthead: str = ""
    # The admin's corrections in order, (field, typed value): audited, and remembered for the series on storing.
    corrections: tuple[tuple[str, str], ...] = ()


class Existing(enum.Enum):
    NEW = "new"
    SAME = "same"  # stored already with identical content
    DIFFERENT = "different"  # stored already, content differs: storing needs replace


@dataclass(frozen=True)
class DraftCheck:
    """What the archive says about an upload, for the preview."""

    existing: Existing
    existing_id: int | None
    previous_id: int | None  # the issue the contents message's "previous issue" button will point at
    subscribers: int
    pushed: bool  # the stored issue was already pushed


def check_draft(uow: UnitOfWork, issue: Issue) -> DraftCheck:
    """Compare ISSUE with the archive (read only)."""
    repo = uow.issues
    stored = repo.find_same(issue)
    subscribers = uow.subscribers.count_active()
    if stored is None:
        latest = repo.latest()
        return DraftCheck(Existing.NEW, None, latest.id if latest else None, subscribers, False)
    same = stored.issue == canonical(issue)
    return DraftCheck(
        Existing.SAME if same else Existing.DIFFERENT, stored.id, repo.previous_id(stored.id), subscribers,
        _pushed(uow, stored.id) is not None,
    )


def prepare_draft(uow: UnitOfWork, issue: Issue) -> tuple[Taken, DraftCheck]:
    """An upload with its series' remembered corrections applied, and what the archive says about it (read only)."""
    taken = apply_remembered(uow, issue)
    return taken, check_draft(uow, taken.issue)


def _pushed(uow: UnitOfWork, issue_id: int) -> str | None:
    """'done' or 'running' when a publication push of ISSUE_ID went out or is going out, else None."""
    for push in uow.pushes.for_issue(issue_id):
        if push.kind == PushKind.PUBLISH.value and push.state in (PushState.DONE.value, PushState.RUNNING.value):
            return push.state
    return None


class DeskError(Exception):
    """A confirmation that cannot be carried out; `code` picks the chat text (desk_<code>)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Committed:
    """The outcome of storing (and scheduling) an upload."""

    stored: StoredIssue
    outcome: ImportOutcome
    at: dt.datetime | None  # when the push is scheduled; None: not scheduled (a replacement of a pushed issue)
    now: bool


def commit_draft(
    uow: UnitOfWork, draft: Draft, *, at: dt.datetime | None, now: dt.datetime, actor_id: int | None,
    approved_by: int | None = None,
) -> Committed:
    """Store DRAFT's issue, set its handling mark and schedule its push at AT (None: now); audited.

    A replacement of an issue that was already pushed is stored but not pushed again (the admin corrects the
    sent messages with /refresh). Raises DeskError("conflict") when the issue exists with other content and the
    draft does not replace it, DeskError("already_pushed" | "push_running") when the push cannot be scheduled,
    DeskError("unidentified") when the issue has neither a number nor a date.
    """
    if not identifiable(draft.issue):
        raise DeskError("unidentified")
    repo = uow.issues
    existing = repo.find_same(draft.issue)
    pushed = _pushed(uow, existing.id) if existing is not None else None
    if pushed == PushState.RUNNING.value:
        raise DeskError("push_running")
    if pushed == PushState.DONE.value and not draft.replace:
        raise DeskError("already_pushed")
    stored, outcome = repo.add(draft.issue, replace=draft.replace)
    if outcome is ImportOutcome.CONFLICT:
        raise DeskError("conflict")
    uow.marks.set_internal(stored.id, draft.internal, by=actor_id, now=now)
    when: dt.datetime | None = None
    if pushed is None:
        when = now if at is None or at <= now else at
        try:
            publish(uow, stored.id, when, now)
        except PublishError:
            raise DeskError("already_pushed") from None
    detail = f"{outcome.value}; source {draft.source}; " + (
        "not pushed again (already pushed)" if when is None else f"push at {when.isoformat()}"
    )
    if draft.internal:
        detail += "; internal"
    if draft.corrections:
        detail += "; " + corrections_detail(draft.corrections)
        remember(uow, draft.parsed_masthead, draft.corrections, by=draft.uploader_id)
    if approved_by is not None:
        detail += f"; uploaded by {draft.uploader_id}, approved by {approved_by}"
    uow.audit.record(actor_id=actor_id, action="publish", issue_id=stored.id, detail=detail[:1000])
    return Committed(stored, outcome, when, now=when is not None and when <= now)


def submit_for_approval(
    uow: UnitOfWork, draft: Draft, *, at: dt.datetime | None, now: dt.datetime
) -> ApprovalInfo:
    """Keep a confirmed upload until a second admin approves it; audited. Nothing enters the archive."""
    if not identifiable(draft.issue):
        raise DeskError("unidentified")
    approval = uow.approvals.create(
        uploader_id=draft.uploader_id, source=draft.source, issue=draft.issue, replace=draft.replace,
        internal=draft.internal, scheduled_at=at, now=now,
    )
    uow.audit.record(
        actor_id=draft.uploader_id, action="publish_submit",
        detail=(
            f"approval #{approval.id}: {draft.issue.masthead} {issue_label(draft.issue, 'zh')}; source {draft.source}"
            + (f"; {corrections_detail(draft.corrections)}" if draft.corrections else "")
        )[:1000],
    )
    if draft.corrections:
        remember(uow, draft.parsed_masthead, draft.corrections, by=draft.uploader_id)
    return approval


def approve(
    uow: UnitOfWork, approval_id: int, *, approver_id: int, now: dt.datetime
) -> tuple[ApprovalInfo, Committed]:
    """Approve a pending upload: store and schedule it, audited.

    DeskError codes: expired, already_decided, self_approve (see record_refusal), and those of commit_draft. The
    caller lets the error leave its transaction, so nothing of a failed approval is written.
    """
    approvals = uow.approvals
    info = approvals.get(approval_id)
    if info is None:
        raise DeskError("expired")
    if info.state != ApprovalState.PENDING.value:
        raise DeskError("already_decided")
    if info.uploader_id == approver_id:
        raise DeskError("self_approve")
    draft = Draft(info.issue, info.source, info.uploader_id, info.internal, info.replace)
    committed = commit_draft(
        uow, draft, at=info.scheduled_at, now=now, actor_id=approver_id, approved_by=approver_id
    )
    if not approvals.decide(approval_id, ApprovalState.APPROVED, by=approver_id, now=now, issue_id=committed.stored.id):
        raise DeskError("already_decided")
    return info, committed


def record_refusal(uow: UnitOfWork, actor_id: int, what: str) -> None:
    """Audit a refused desk action (e.g. an admin approving their own upload), in a transaction of its own."""
    uow.audit.record(actor_id=actor_id, action="refused", detail=what[:1000])


def reject(uow: UnitOfWork, approval_id: int, *, by: int, now: dt.datetime) -> tuple[ApprovalInfo, ApprovalState]:
    """Reject a pending upload (withdraw it, when BY is the uploader); audited."""
    approvals = uow.approvals
    info = approvals.get(approval_id)
    if info is None:
        raise DeskError("expired")
    state = ApprovalState.WITHDRAWN if by == info.uploader_id else ApprovalState.REJECTED
    if not approvals.decide(approval_id, state, by=by, now=now):
        raise DeskError("already_decided")
    uow.audit.record(actor_id=by, action=f"publish_{state.value}", detail=f"approval #{approval_id}")
    return info, state


def mark_internal(uow: UnitOfWork, ref: str, internal: bool, *, by: int, now: dt.datetime) -> StoredIssue | None:
    """Set or clear the 内部资料 mark of the issue REF names (None when there is none); audited."""
    stored = uow.issues.resolve(ref)
    if stored is None:
        return None
    uow.marks.set_internal(stored.id, internal, by=by, now=now)
    uow.audit.record(actor_id=by, action="mark_internal" if internal else "unmark_internal", issue_id=stored.id)
    return stored


# ---- when to publish


def default_slot(
    now: dt.datetime, tz: ZoneInfo, default_time: dt.time, overrides: CalendarOverrides = NO_OVERRIDES
) -> Slot:
    """The next working-day default slot ([push] default_time), with warnings when a year's holidays are unknown."""
    return next_default_slot(now, tz=tz, default_time=default_time, overrides=overrides)


def tomorrow_at_nine(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Tomorrow 09:00 local time, in UTC."""
    day = now.astimezone(tz).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, TOMORROW_TIME, tzinfo=tz).astimezone(dt.UTC)


def parse_typed_time(text: str, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A typed time: "2024-05-08 09:00" (local), or "09:00" for its next occurrence. ScheduleError if unreadable
    or in the past."""
    value = text.strip().replace("：", ":")
    if _CLOCK_ONLY.fullmatch(value):
        clock = parse_clock(value.zfill(5))
        local_now = now.astimezone(tz)
        candidate = dt.datetime.combine(local_now.date(), clock, tzinfo=tz)
        if candidate <= local_now:
            candidate = dt.datetime.combine(local_now.date() + dt.timedelta(days=1), clock, tzinfo=tz)
        return candidate.astimezone(dt.UTC)
    when = parse_at(value, tz)
    if when <= now:
        raise ScheduleError("past")
    return when


# ---- fetching a bulletin from a URL

_DOC_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
    "application/vnd.ms-works": ".wps",
    "application/kswps": ".wps",
    "application/wps-office.wps": ".wps",
}
_URL_EXTENSIONS = (".html", ".htm", ".shtml", ".xhtml", ".txt", ".pdf", ".docx", ".doc", ".wps")
_MAX_REDIRECTS = 5


class FetchError(Exception):
    """A URL that did not give a document; `code` is timeout | status | type | too_big | failed | scheme |
    unreachable (internal address, unknown host or closed port: one answer, so ports cannot be scanned) |
    redirects."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def document_filename(url: httpx.URL, content_type: str) -> str | None:
    """A file name whose extension tells the parser the format, or None when the type is not a bulletin's."""
    name = url.path.rsplit("/", 1)[-1]
    lowered = name.lower()
    if content_type in _DOC_TYPES:
        if lowered.endswith(_URL_EXTENSIONS) and (content_type != "text/html" or ".htm" in lowered):
            return name
        return "download" + _DOC_TYPES[content_type]
    if content_type in ("application/octet-stream", "binary/octet-stream", "") and lowered.endswith(_URL_EXTENSIONS):
        return name
    return None


async def fetch_document(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    policy: NetworkPolicy,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[bytes, str]:
    """Download URL (http or https) within TIMEOUT seconds overall and MAX_BYTES; returns (data, file name).

    Every hop goes through jobs.netguard (internal addresses refused unless POLICY allows them). The content type
    is checked before the body is read, a compressed body is refused (only identity is asked for), and the
    download stops as soon as it passes MAX_BYTES.
    """
    with fetch_errors():
        async with (
            asyncio.timeout(timeout),
            guarded_get(url, policy, timeout=timeout, max_redirects=_MAX_REDIRECTS, inner=transport) as response,
        ):
            if response.status_code != 200:
                raise FetchError("status", f"HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            filename = document_filename(response.url, content_type)
            if filename is None:
                raise FetchError("type", content_type or "?")
            return await read_limited(response, max_bytes), filename


@contextlib.contextmanager
def fetch_errors() -> Iterator[None]:
    """Turn what a guarded fetch raises into FetchError (one code per kind of failure)."""
    try:
        yield
    except TooBig:
        raise FetchError("too_big") from None
    except Encoded as exc:
        raise FetchError("failed", f"Content-Encoding: {exc}") from None
    except httpx.InvalidURL as exc:
        raise FetchError("failed", str(exc)) from None
    except BadScheme as exc:
        raise FetchError("scheme", str(exc)) from None
    except Unreachable:
        raise FetchError("unreachable") from None
    except TooManyRedirects:
        raise FetchError("redirects") from None
    except TimeoutError:
        raise FetchError("timeout") from None
    except httpx.TimeoutException:
        raise FetchError("timeout") from None
    except httpx.HTTPError as exc:
        raise FetchError("failed", str(exc) or type(exc).__name__) from None
