"""Texts of the admin progress message and the end-of-push summary (Simplified Chinese, HTML)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from bulletin.render import CALLBACK_VERSION, Button, Rendered

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


def format_duration(seconds: float | None) -> str:
    """'1小时2分', '3分5秒', '12秒', or '未知'."""
    if seconds is None:
        return "未知"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}小时{m}分"
    if m:
        return f"{m}分{sec}秒"
    return f"{sec}秒"


def progress_text(label: str, p: Progress, *, retrying: bool = False) -> Rendered:
    """The progress message edited in place during a push."""
    pct = 100.0 * p.done / p.total if p.total else 100.0
    lines = [
        f"📤 <b>正在推送</b> {html.escape(label)}",
        f"进度：{p.done}/{p.total}（{pct:.0f}%）",
        f"已送达 {p.sent} · 待发送 {p.pending + p.sending} · 失败 {p.failed} · 跳过 {p.skipped}",
        f"速度：{p.rate:.1f} 条/秒 · 预计剩余 {format_duration(p.seconds_left)}",
    ]
    if retrying:
        lines.append("⏳ Telegram 要求暂停，稍后自动继续。")
    return Rendered("\n".join(lines))


# Telegram's reasons (English, lower-cased fragments) as the office reads them; the original text follows in
# parentheses so nothing is lost. First match wins, so the more specific fragments come first.
_REASONS_ZH: tuple[tuple[str, str], ...] = (
    ("bot was blocked by the user", "对方已屏蔽机器人"),
    ("user is deactivated", "对方的 Telegram 账号已注销"),
    ("bot was kicked", "机器人已被移出该群组或频道"),
    ("bot is not a member", "机器人不在该群组或频道中"),
    ("chat not found", "找不到该会话"),
    ("have no rights to send", "机器人在该群组或频道中没有发言权限"),
    ("not enough rights", "机器人在该群组或频道中没有发言权限"),
    ("group migrated to", "群组已升级为超级群组，由新会话接收本期"),
    ("gave up after", "多次重试仍未送达"),
    ("internal error", "机器人内部错误"),
)


def reason_text(reason: str) -> str:
    """REASON as shown in the admin summary: a Chinese explanation when it is a known one, then the original."""
    lowered = reason.lower()
    for fragment, zh in _REASONS_ZH:
        if fragment in lowered:
            return f"{zh}（{reason}）"
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
) -> Rendered:
    """The end-of-push summary: counts, and the chats that failed or were dropped, with reasons."""
    head = "✅ <b>推送完成</b>" if not failed else "⚠️ <b>推送完成（有失败）</b>"
    lines = [
        f"{head} {html.escape(label)}",
        f"已送达 {p.sent}/{p.total} · 失败 {p.failed} · 跳过 {p.skipped}"
        f" · 用时 {format_duration(elapsed.total_seconds())}",
    ]

    def listing(title: str, chats: Sequence[FailedChat], total: int) -> None:
        if not chats:
            return
        lines.append("")
        lines.append(f"<b>{title}</b>")
        for chat in chats[:_MAX_LISTED]:
            who = html.escape(chat.name) + f"（{chat.chat_id}）" if chat.name else str(chat.chat_id)
            lines.append(f"• {who}：{html.escape(reason_text(chat.reason))}")
        shown = min(len(chats), _MAX_LISTED)
        if total > shown:
            lines.append(f"……另有 {total - shown} 个")

    listing("发送失败：", failed, p.failed)
    listing("已停用（用户屏蔽或群组不可用）：", skipped, p.skipped)
    keyboard: tuple[tuple[Button, ...], ...] = ()
    if failed:
        lines.append("")
        lines.append(f"可点击下方按钮或运行 <code>bulletin-bot resend {issue_id} --failed</code> 重发。")
        keyboard = ((Button("🔁 重发给失败的会话", cb_resend(issue_id)),),)
    return Rendered("\n".join(lines), keyboard)


def missed_text(label: str, scheduled_local: str, issue_ref: str) -> Rendered:
    """Told to admins when a push's time passed longer ago than the misfire grace: it was not sent."""
    return Rendered(
        "\n".join(
            [
                f"⚠️ <b>推送已错过</b> {html.escape(label)}",
                f"原定 {html.escape(scheduled_local)} 推送，但当时机器人未运行，已超过补发期限，未发送。",
                f"如仍需推送，请运行 <code>bulletin-bot publish {html.escape(issue_ref)} --now</code>。",
            ]
        )
    )
