"""Receipts in chat: the 已阅 button, /stats, /export and /coverage (admins), and the reminder service.

Wired through the extension hook (bot/app.py default_extensions): `receipts_extension` contributes the "k"
callback route (the contents message's 已阅 button, data "1:k:<issue_id>"), the three admin commands and the
background service that sends reminders.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, BaseHandler, CommandHandler, filters

from bot import callbacks as cb
from bot.common import chat as h
from bot.common.context import Ctx
from bot.common.feature import Extension, on_button
from bot.common.guards import admin_only
from bot.common.outbox import TelegramSender, leader_jobs
from bulletin.i18n import t
from bulletin.render import bold, esc, issue_label
from config import Config
from jobs.receipts import IssueReceipts, acknowledge, coverage_by_publication, issue_receipts, recent_receipts
from jobs.reminders import Reminders, ReminderSettings
from jobs.stats import Chart, DepartmentStats, IssueAcks, ack_chart, department_stats, ledger_csv, totals
from storage.archive import StoredIssue
from storage.types import utcnow

log = logging.getLogger(__name__)

RECENT_ISSUES = 5
_ISSUE_REF = re.compile(r"[0-9]{1,9}|[0-9]{4}-[0-9]{1,9}")


# ---- the 已阅 button


async def ack_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """The contents message's 已阅 button: record the press once per person; only chats the issue reached count."""
    query = update.callback_query
    chat = update.effective_chat
    user = update.effective_user
    assert query is not None
    lang = h.user_lang(update)
    if not isinstance(data, cb.Ack) or chat is None or user is None:
        await h.expired(query, lang)
        return
    issue_id = data.issue_id
    now = utcnow()

    recorded = await h.unit_of_work(context, lambda u: acknowledge(u, issue_id, chat.id, user.id, now))
    if recorded is None:
        log.warning("已阅 press by user %s in chat %s for issue %s, which was never sent there", user.id, chat.id,
                    issue_id)
        await h.expired(query, lang)
        return
    await query.answer(t(lang, "receipts_ack_recorded" if recorded else "receipts_ack_already"))
    if chat.type == ChatType.PRIVATE:
        # The button says it was pressed, on this person's own copy only (a group's message is everyone's).
        await _show_acknowledged(query, t(lang, "btn_ack_done"))


def acknowledged_markup(markup: InlineKeyboardMarkup | None, label: str) -> InlineKeyboardMarkup | None:
    """MARKUP with the 已阅 button's label set to LABEL (its data kept); None when there is nothing to change."""
    if markup is None:
        return None
    changed = False
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard:
        rows.append([])
        for button in row:
            data = button.callback_data
            if isinstance(data, str) and isinstance(cb.parse_callback(data), cb.Ack) and button.text != label:
                button = InlineKeyboardButton(label, callback_data=data)
                changed = True
            rows[-1].append(button)
    return InlineKeyboardMarkup(rows) if changed else None


async def _show_acknowledged(query: CallbackQuery, label: str) -> None:
    message = query.message
    markup = acknowledged_markup(message.reply_markup if isinstance(message, Message) else None, label)
    if markup is None:
        return
    try:
        await h.flood_safe(lambda: query.edit_message_reply_markup(markup))
    except TelegramError as exc:  # the press is recorded; an old or deleted message keeps its label
        log.info("could not relabel the 已阅 button: %s", exc)


# ---- admin commands


def _department_name(department: str | None, lang: str) -> str:
    return t(lang, "receipts_no_department") if department is None else department


def _stats_line(row: DepartmentStats, lang: str, name: str) -> str:
    line = t(
        lang, "receipts_stats_line", department=name, delivered=row.delivered, acknowledged=row.acknowledged,
        opened=row.articles_opened, not_reached=row.not_reached,
    )
    if row.pending:
        line += t(lang, "receipts_stats_pending", pending=row.pending)
    return line


def _title(stored: StoredIssue, lang: str) -> str:
    return f"{stored.issue.masthead} {issue_label(stored.issue, lang)}"


def stats_text(stored: StoredIssue, rows: list[DepartmentStats], lang: str) -> str:
    """The /stats ISSUE message: one line per department, then the total."""
    lines = [bold(t(lang, "receipts_stats_heading", label=esc(_title(stored, lang))))]
    lines += [_stats_line(r, lang, esc(_department_name(r.department, lang))) for r in rows]
    lines.append(_stats_line(totals(rows), lang, bold(t(lang, "receipts_stats_total"))))
    return "\n".join(lines)


def _short_label(stored: StoredIssue) -> str:
    """An ASCII label for the chart legend: year-number, as /issue takes it."""
    issue = stored.issue
    if issue.number is None:
        return stored.ref  # a dated report: its date
    return f"{issue.year}-{issue.number}" if issue.year is not None else f"No.{issue.number}"


def _actor(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user is not None else None


async def _pushed_issue(
    update: Update, context: Ctx, lang: str, args: list[str], usage_key: str, action: str
) -> IssueReceipts | None:
    """The pushed issue named by ARGS with its receipts (the look-up audited as ACTION); otherwise reply why."""
    if len(args) != 1 or not _ISSUE_REF.fullmatch(args[0]):
        await h.reply(update, context, esc(t(lang, usage_key)))
        return None
    ref, actor = args[0], _actor(update)
    found = await h.unit_of_work(context, lambda u: issue_receipts(u, ref, actor, action))
    if found is None:
        await h.reply(update, context, h.unknown_issue(lang, ref))
        return None
    if not found.lines:
        await h.reply(update, context, t(lang, "receipts_not_pushed", label=esc(_title(found.stored, lang))))
        return None
    return found


@admin_only("stats")
async def stats_command(update: Update, context: Ctx) -> None:
    """/stats ISSUE (admins): per department delivered, read, articles opened, not reached; /stats: recent issues
    with a chart."""
    lang = h.user_lang(update)
    args = h.args_of(context)
    if not args:
        await _recent_stats(update, context, lang)
        return
    found = await _pushed_issue(update, context, lang, args, "receipts_usage_stats", "stats")
    if found is None:
        return
    rows = department_stats(found.lines, h.deps(context).config.access.departments)
    await h.reply(update, context, stats_text(found.stored, rows, lang))


async def _recent_stats(update: Update, context: Ctx, lang: str) -> None:
    actor = _actor(update)
    recent = await h.unit_of_work(context, lambda u: recent_receipts(u, RECENT_ISSUES, actor))
    if not recent:
        await h.reply(update, context, t(lang, "receipts_no_pushes"))
        return
    departments = h.deps(context).config.access.departments
    per_issue = [(r.stored, department_stats(r.lines, departments)) for r in recent]
    lines = [bold(t(lang, "receipts_recent_heading", count=len(recent)))]
    for stored, rows in per_issue:
        total = totals(rows)
        rate = round(100 * total.acknowledged / total.delivered) if total.delivered else 0
        lines.append(t(lang, "receipts_recent_line", label=esc(_title(stored, lang)), delivered=total.delivered,
                       acknowledged=total.acknowledged, rate=rate))
    # Oldest first on the chart, so the bars of a department read left to right in time.
    series = [IssueAcks(_short_label(stored), rows) for stored, rows in reversed(per_issue)]
    chart: Chart = await asyncio.to_thread(
        ack_chart, series, no_department=t(lang, "receipts_no_department"),
        title=t(lang, "receipts_chart_title"), ylabel=t(lang, "receipts_chart_ylabel"),
        ascii_title=t("en", "receipts_chart_title"), ascii_ylabel=t("en", "receipts_chart_ylabel"),
    )
    if chart.legend:
        pairs = "，".join(f"{key} = {esc(name)}" for key, name in chart.legend)
        lines.append(t(lang, "receipts_chart_legend", pairs=pairs))
    lines.append(esc(t(lang, "receipts_recent_hint")))
    await h.reply(update, context, "\n".join(lines))
    chat = update.effective_chat
    assert chat is not None
    caption = t(lang, "receipts_chart_caption", count=len(recent))
    await h.flood_safe(
        lambda: context.bot.send_photo(chat.id, InputFile(chart.png, filename="receipts.png"), caption=caption)
    )


@admin_only("export")
async def export_command(update: Update, context: Ctx) -> None:
    """/export ISSUE (admins, private chat): the issue's delivery ledger with receipts as a CSV document."""
    lang = h.user_lang(update)
    chat = update.effective_chat
    assert chat is not None
    if chat.type != ChatType.PRIVATE:
        await h.reply(update, context, t(lang, "receipts_export_private_only"))
        return
    args = h.args_of(context)
    found = await _pushed_issue(update, context, lang, args, "receipts_usage_export", "export")
    if found is None:
        return
    data = ledger_csv(found.lines)
    filename = f"ledger-{_short_label(found.stored).replace('.', '')}.csv"
    caption = t(lang, "receipts_export_caption", label=_title(found.stored, lang), count=len(found.lines))
    await h.flood_safe(
        lambda: context.bot.send_document(
            chat.id, InputFile(data, filename=filename, attach=True), caption=caption, filename=filename
        )
    )


def coverage_text(departments: tuple[str, ...], missing: list[str], active: dict[str | None, int], lang: str) -> str:
    """The /coverage message: departments without an active subscriber, then the covered ones with counts."""
    if not departments:
        return t(lang, "receipts_coverage_none_configured")
    if not missing:
        lines = [t(lang, "receipts_coverage_all", count=len(departments))]
    else:
        lines = [bold(t(lang, "receipts_coverage_missing", missing=len(missing), count=len(departments)))]
        lines += [f"• {esc(d)}" for d in missing]
    covered = [d for d in departments if d not in missing]
    if covered:
        sep = "，" if lang != "en" else ", "
        counts = sep.join(
            t(lang, "receipts_coverage_count", department=esc(d), count=active.get(d, 0)) for d in covered
        )
        lines.append(t(lang, "receipts_coverage_covered", lines=counts))
    return "\n".join(lines)


@admin_only("coverage")
async def coverage_command(update: Update, context: Ctx) -> None:
    """/coverage (admins): the configured departments that have no active subscriber."""
    lang = h.user_lang(update)
    departments = tuple(h.deps(context).config.access.departments)
    actor = _actor(update)
    found = await h.unit_of_work(context, lambda u: coverage_by_publication(u, departments, actor))
    # With several publications, one block per publication (who receives it), each under its name.
    text = "\n\n".join(
        (bold(esc(c.name)) + "\n" if c.name else "") + coverage_text(departments, c.missing, c.active, lang)
        for c in found
    )
    await h.reply(update, context, text)


# ---- reminders


class ReminderService:
    """BackgroundService: the reminder check, sending through the application's Bot."""

    def __init__(self, factory: sessionmaker[Session], settings: ReminderSettings) -> None:
        self.factory = factory
        self.settings = settings
        self.reminders: Reminders | None = None

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Start checking for due reminders."""
        self.reminders = Reminders(self.factory, TelegramSender(application.bot), self.settings)
        await self.reminders.start(leader_jobs(application))

    async def stop(self) -> None:
        """Stop checking."""
        if self.reminders is not None:
            await self.reminders.stop()


def reminder_settings(config: Config) -> ReminderSettings:
    """The reminder settings from [push] remind_after."""
    return ReminderSettings(remind_after=config.push.remind_after_delta)


def receipts_extension(config: Config, factory: sessionmaker[Session]) -> Extension:
    """ExtensionFactory: the 已阅 route, /stats, /export, /coverage and the reminder service."""
    message = filters.UpdateType.MESSAGE
    handlers: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler("stats", stats_command, filters=message),
        CommandHandler("export", export_command, filters=message),
        CommandHandler("coverage", coverage_command, filters=message),
        on_button(ack_button, cb.Ack),
    ]
    return Extension(
        handlers=handlers,
        services=[ReminderService(factory, reminder_settings(config))],
    )

