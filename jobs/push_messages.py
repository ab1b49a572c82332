"""Texts of the admin progress message and the end-of-push summary (HTML; Simplified Chinese unless asked)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from bulletin.i18n import ZH, t
from bulletin.render import CALLBACK_VERSION, Button, Rendered, bold

# Routed callback kind (see bot/callbacks.py, "Routed"): resend ISSUE to the chats whose delivery failed.
RESEND_KIND = "r"
_MAX_LISTED = 30


def cb_resend(issue_id: int) -> str:
    """Callback data of the summary's "resend to failed chats" button."""
    return f"{CALLBACK_VERSION}:{RESEND_KIND}:{issue_id}"


@dataclass(frozen=True, slots=True)
class Progress:
    """Counts of a push's ledger plus the current send rate."""

    total: int
    sent: int
    pending: int
    sending: int
    failed: int
    skipped: int
    rate: float  # messages per second over the recent past

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def seconds_left(self) -> float | None:
        remaining = self.pending + self.sending
        if remaining == 0:
            return 0.0
        return remaining / self.rate if self.rate > 0 else None


def format_duration(seconds: float | None, lang: str = ZH) -> str:
    """'1小时2分', '3分5秒', '12秒', or '未知' (in LANG)."""
    if seconds is None:
        return t(lang, "push_duration_unknown")
    h, rest = divmod(round(seconds), 3600)
    m, s = divmod(rest, 60)
    if h:
        return t(lang, "push_duration_hours", h=h, m=m)
    if m:
        return t(lang, "push_duration_minutes", m=m, s=s)
    return t(lang, "push_duration_seconds", s=s)


def progress_text(label: str, p: Progress, *, retrying: bool = False, lang: str = ZH) -> Rendered:
    """The progress message edited in place during a push."""
    pct = 100.0 * p.done / p.total if p.total else 100.0
    lines = [
        t(lang, "push_progress", title=bold(t(lang, "push_progress_title")), label=html.escape(label), done=p.done,
          total=p.total, pct=f"{pct:.0f}", sent=p.sent, waiting=p.pending + p.sending, failed=p.failed,
          skipped=p.skipped, rate=f"{p.rate:.1f}", left=format_duration(p.seconds_left, lang)),
    ]
    if retrying:
        lines.append(t(lang, "push_retrying"))
    return Rendered("\n".join(lines))


# Telegram's reasons (English, lower-cased fragments) as the office reads them, by catalog key (push_reason_*);
# the original text follows in parentheses so nothing is lost. First match wins: specific fragments come first.
_REASONS: tuple[tuple[str, str], ...] = (
    ("bot was blocked by the user", "blocked"),
    ("user is deactivated", "deactivated"),
    ("bot was kicked", "kicked"),
    ("bot is not a member", "not_member"),
    ("chat not found", "chat_not_found"),
    ("have no rights to send", "no_rights"),
    ("not enough rights", "no_rights"),
    ("group migrated to", "migrated"),
    ("gave up after", "gave_up"),
    ("internal error", "internal"),
)


def reason_text(reason: str, lang: str = ZH) -> str:
    """REASON as shown in the admin summary: an explanation when it is a known one, then the original."""
    lowered = reason.lower()
    for fragment, code in _REASONS:
        if fragment in lowered:
            return t(lang, "push_reason", explained=t(lang, f"push_reason_{code}"), reason=reason)
    return reason


@dataclass(frozen=True, slots=True)
class FailedChat:
    """One chat that did not get the message, and why."""

    chat_id: int
    name: str | None
    reason: str


def summary_text(
    label: str,
    issue_id: int,
    p: Progress,
    failed: Sequence[FailedChat],
    skipped: Sequence[FailedChat],
    elapsed: dt.timedelta,
    lang: str = ZH,
) -> Rendered:
    """The end-of-push summary: counts, and the chats that failed or were dropped, with reasons."""
    head = "push_done_failed" if failed else "push_done"
    lines = [
        t(lang, head, title=bold(t(lang, f"{head}_title")), label=html.escape(label)),
        t(lang, "push_done_counts", sent=p.sent, total=p.total, failed=p.failed, skipped=p.skipped,
          elapsed=format_duration(elapsed.total_seconds(), lang)),
    ]

    def listing(title: str, chats: Sequence[FailedChat], total: int) -> None:
        if not chats:
            return
        lines.append("")
        lines.append(bold(t(lang, title)))
        for chat in chats[:_MAX_LISTED]:
            who = t(lang, "push_chat_named", name=html.escape(chat.name), chat_id=chat.chat_id) if chat.name else (
                str(chat.chat_id)
            )
            lines.append(t(lang, "push_chat_line", chat=who, reason=html.escape(reason_text(chat.reason, lang))))
        shown = min(len(chats), _MAX_LISTED)
        if total > shown:
            lines.append(t(lang, "push_chats_more", count=total - shown))

    listing("push_failed_heading", failed, p.failed)
    listing("push_skipped_heading", skipped, p.skipped)
    keyboard: tuple[tuple[Button, ...], ...] = ()
    if failed:
        lines.append("")
        lines.append(t(lang, "push_resend_hint", command=_code(f"bulletin-bot resend {issue_id} --failed")))
        keyboard = ((Button(t(lang, "push_btn_resend"), cb_resend(issue_id)),),)
    return Rendered("\n".join(lines), keyboard)


def _code(command: str) -> str:
    return f"<code>{html.escape(command)}</code>"


def missed_text(label: str, scheduled_local: str, issue_ref: str, lang: str = ZH) -> Rendered:
    """Told to admins when a push's time passed longer ago than the misfire grace: it was not sent."""
    return Rendered(
        t(lang, "push_missed", title=bold(t(lang, "push_missed_title")), label=html.escape(label),
          when=html.escape(scheduled_local), command=_code(f"bulletin-bot publish {issue_ref} --now"))
    )
