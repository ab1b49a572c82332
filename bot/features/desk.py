"""The office's desk in chat: admins publish an issue by sending its document or URL, check the preview (the exact
contents message subscribers will get) and confirm; optionally a second admin approves; /internal marks a
stored issue internal (内部资料). Corrections of pushed issues are bot/features/corrections.py's.

Callback kinds (routed, see bot/callbacks.py):
    1:p:<draft_id>:<op>        a draft's panel: 0 cancel, 1 now, 2 next default slot, 3 tomorrow 09:00,
                               4 typed time, 5 replace the stored issue, 6 toggle the internal mark, 7 修改 (the
                               field list), 8 back to the panel, 9.. the field to type (bulletin.corrections.EDITABLE)
    1:v:<approval_id>:<op>     an upload awaiting approval: 1 approve, 0 reject (withdraw, for the uploader)

Drafts live in memory until their admin decides ("nothing stored before confirmation"); a restart forgets them
and their buttons then answer "expired". Every press and message is checked with bot.common.guards.require_admin first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker
from telegram import CallbackQuery, Update, User
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import Routed, cb_noop, cb_routed
from bot.common.awaiting import Awaiting, cancels
from bot.common.chat import ISSUE_REF, send, user_lang
from bot.common.chat import edit_message as _edit
from bot.common.chat import say as _say
from bot.common.context import Ctx
from bot.common.feature import AdminFeature, Extension, on_button
from bulletin.corrections import EDITABLE, FieldError, correct, field_value, identifiable, show_value
from bulletin.errors import BulletinParseError
from bulletin.i18n import keys, t
from bulletin.model import Issue
from bulletin.parser.bounded import parse_document_bounded
from bulletin.parser.limits import DEFAULT_LIMITS, limit_values
from bulletin.render import Button, Keyboard, Rendered, bold, esc, issue_label, render_contents, shorten
from config import Config
from jobs.desk import (
    Committed,
    DeskError,
    Draft,
    DraftCheck,
    Existing,
    FetchError,
    approve,
    check_draft,
    commit_draft,
    default_slot,
    fetch_document,
    mark_internal,
    parse_typed_time,
    prepare_draft,
    record_refusal,
    reject,
    submit_for_approval,
    tomorrow_at_nine,
)
from jobs.marks import with_internal_mark
from jobs.netguard import NetworkPolicy
from jobs.schedule import ScheduleError
from storage.publishing_models import ApprovalState

log = logging.getLogger(__name__)

DRAFT_KIND = "p"
APPROVAL_KIND = "v"
OP_CANCEL, OP_NOW, OP_DEFAULT, OP_TOMORROW, OP_TYPED, OP_REPLACE, OP_INTERNAL, OP_EDIT, OP_BACK = range(9)
OP_FIELD = 9  # OP_FIELD + i: type field EDITABLE[i]
OP_REJECT, OP_APPROVE = 0, 1
DOCUMENT_EXTENSIONS = (".txt", ".docx", ".pdf")
DRAFT_TTL = 3600.0
MAX_DRAFTS = 200
_URL = re.compile(r"\s*(https?://\S+)\s*", re.IGNORECASE)
_TYPED = "desk"  # the wait for a typed time or field (bot/common/awaiting.py)
_MB = 1024 * 1024


@dataclass
class PendingDraft:
    """A parsed upload and the two messages showing it (the contents preview and the panel with the buttons)."""

    draft: Draft
    check: DraftCheck
    chat_id: int
    lang: str
    created: float
    preview_id: int | None = None
    panel_id: int | None = None
    # (field, value) taken from the series' remembered corrections, shown on the panel.
    remembered: tuple[tuple[str, str], ...] = ()
    # No issue line was found: nothing is published until the admin types the number, or the date of a dated report
    # (a date read elsewhere in the document does not make a bulletin a dated report).
    needs_id: bool = False

    def publishable(self) -> bool:
        """Whether the issue is identified (a number, or a date), so that the publish buttons are offered."""
        return identifiable(self.draft.issue) and not self.needs_id


@dataclass
class DeskState:
    """In-memory desk state of one bot process."""

    drafts: dict[int, PendingDraft] = field(default_factory=dict)
    # (draft id, field) while its admin is asked to type a time (field None) or a field (bulletin.corrections.
    # EDITABLE). The wait outlives its draft, so a late answer hears "expired" rather than the pointer to /help.
    typed: Awaiting[tuple[int, str | None]] = field(default_factory=lambda: Awaiting(2 * DRAFT_TTL))
    # approval id -> the (chat id, message id) of every request message, edited when someone decides
    approval_messages: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_draft(self, pending: PendingDraft) -> int:
        self._expire()
        draft_id = next(self.ids)
        self.drafts[draft_id] = pending
        while len(self.drafts) > MAX_DRAFTS:
            self.drafts.pop(next(iter(self.drafts)))
        return draft_id

    def draft(self, draft_id: int, user_id: int) -> PendingDraft | None:
        """The draft, if it exists, has not expired and belongs to USER_ID."""
        self._expire()
        pending = self.drafts.get(draft_id)
        return pending if pending is not None and pending.draft.uploader_id == user_id else None

    def drop(self, draft_id: int) -> None:
        pending = self.drafts.pop(draft_id, None)
        if pending is not None and (waiting := self.waiting(pending.chat_id, pending.draft.uploader_id)) is not None:
            if waiting[0] == draft_id:
                self.typed.done(pending.chat_id, pending.draft.uploader_id, _TYPED)

    def waiting(self, chat_id: int, user_id: int) -> tuple[int, str | None] | None:
        """(draft id, field or None for a time) while USER_ID is asked to type something in CHAT_ID."""
        found = self.typed.get(chat_id, user_id, _TYPED)
        return None if found is None else found.payload

    def _expire(self) -> None:
        cutoff = time.monotonic() - DRAFT_TTL
        for draft_id in [i for i, d in self.drafts.items() if d.created < cutoff]:
            self.drop(draft_id)


class Desk(AdminFeature[DeskState]):
    """What the desk's handlers need."""

    @property
    def tz(self) -> ZoneInfo:
        return self.config.push.timezone

    def local(self, when: dt.datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _desk(context: Ctx) -> Desk:
    return context.bot_data.part(Desk)


# ---- rendering


def preview_of(issue: Issue, check: DraftCheck, lang: str, internal: bool, ack_button: bool) -> Rendered:
    """The contents message exactly as subscribers will get it; its buttons are shown but inert in the preview."""
    placeholder_id = check.existing_id or 1
    rendered = render_contents(
        placeholder_id, issue, lang=lang, previous_issue_id=check.previous_id, ack_button=ack_button
    )
    inert: Keyboard = tuple(tuple(Button(b.label, cb_noop()) for b in row) for row in rendered.keyboard)
    rendered = Rendered(rendered.text, inert)
    return with_internal_mark(rendered, lang) if internal else rendered


def _warnings_heading(lang: str) -> str:
    return t(lang, "desk_warnings", title=bold(t(lang, "desk_warnings_title")))


def panel_of(desk: Desk, draft_id: int, pending: PendingDraft, now: dt.datetime) -> Rendered:
    """The message under the preview: source, warnings, archive state, and the buttons."""
    lang = pending.lang
    draft, check = pending.draft, pending.check
    issue = draft.issue
    lines = [
        t(
            lang, "desk_summary", title=bold(t(lang, "desk_summary_title")), masthead=esc(issue.masthead),
            label=esc(issue_label(issue, lang)),
            source=esc(shorten(draft.source, 80)),
            articles=t(lang, "desk_summary_articles", count=len(issue.articles)),
            subscribers=t(lang, "desk_summary_subscriptions", count=check.subscribers),
        ),
        "",
    ]
    if issue.warnings:
        lines.append(_warnings_heading(lang))
        lines.extend(f"• {esc(w)}" for w in issue.warnings)
    else:
        lines.append(t(lang, "desk_no_warnings"))
    blocked = check.existing is Existing.DIFFERENT and not draft.replace
    if check.existing is Existing.SAME:
        lines.append(t(lang, "desk_exists_same"))
    elif check.existing is Existing.DIFFERENT:
        key = "desk_replacing" if draft.replace else "desk_exists_different"
        lines.append(t(lang, key, issue_id=check.existing_id))
    if draft.internal:
        lines.append(t(lang, "desk_marked_internal"))
    if desk.config.publish.approval:
        lines.append(t(lang, "desk_approval_note"))
    lines.extend(_intake_lines(pending))

    def b(label: str, op: int) -> tuple[Button, ...]:
        return (Button(label, cb_routed(DRAFT_KIND, draft_id, op)),)

    rows: list[tuple[Button, ...]] = []
    if not pending.publishable():
        pass  # nothing to publish until the admin gives a number or a date (修改)
    elif blocked:
        rows.append(b(t(lang, "desk_btn_replace"), OP_REPLACE))
    else:
        lines.append("")
        lines.append(t(lang, "desk_choose_when"))
        try:
            slot = default_slot(now, desk.tz, desk.config.push.default_time, desk.config.push.calendar)
            rows.append(b(t(lang, "desk_btn_now"), OP_NOW))
            rows.append(b(t(lang, "desk_btn_default", when=desk.local(slot.at_utc)), OP_DEFAULT))
            if slot.warnings:
                lines.append(t(lang, "desk_calendar_unknown", year=slot.local.year))
        except ScheduleError:
            rows.append(b(t(lang, "desk_btn_now"), OP_NOW))
        rows.append(b(t(lang, "desk_btn_tomorrow"), OP_TOMORROW))
        rows.append(b(t(lang, "desk_btn_typed"), OP_TYPED))
    rows.append(b(t(lang, "desk_btn_edit"), OP_EDIT))
    rows.append(b(t(lang, "desk_btn_internal_off" if draft.internal else "desk_btn_internal_on"), OP_INTERNAL))
    rows.append(b(t(lang, "desk_btn_cancel"), OP_CANCEL))
    return Rendered("\n".join(lines), tuple(rows))


def _field_name(lang: str, name: str) -> str:
    return t(lang, f"desk_field_{name}")


def _intake_lines(pending: PendingDraft) -> list[str]:
    """What the admin should check or supply: remembered corrections applied, uncertain fields, a missing number."""
    lang, issue = pending.lang, pending.draft.issue
    lines = [
        t(lang, "desk_remembered", field=_field_name(lang, name), value=esc(value))
        for name, value in pending.remembered
    ]
    uncertain = [_field_name(lang, f) if f"desk_field_{f}" in keys() else esc(f) for f in issue.uncertain]
    if uncertain:
        lines.append(t(lang, "desk_uncertain", fields="、".join(uncertain) if lang != "en" else ", ".join(uncertain)))
    if not pending.publishable():
        lines.append(t(lang, "desk_needs_id"))
    return lines


def fields_panel(draft_id: int, pending: PendingDraft) -> Rendered:
    """The 修改 panel: one button per editable field with its current value, and 返回."""
    lang, issue = pending.lang, pending.draft.issue
    rows: list[tuple[Button, ...]] = []
    for i, name in enumerate(EDITABLE):
        value = field_value(issue, name)
        shown = t(lang, "desk_field_empty") if value is None else show_value(value)
        label = shorten(t(lang, "desk_btn_field", field=_field_name(lang, name), value=shown))
        rows.append((Button(label, cb_routed(DRAFT_KIND, draft_id, OP_FIELD + i)),))
    rows.append((Button(t(lang, "desk_btn_back"), cb_routed(DRAFT_KIND, draft_id, OP_BACK)),))
    return Rendered(t(lang, "desk_edit_choose"), tuple(rows))


def _parse_reason(lang: str, exc: BulletinParseError) -> str:
    key = f"desk_parse_{exc.code}"
    return t(lang, key if key in keys() else "desk_parse_other", **limit_values(DEFAULT_LIMITS))


# ---- receiving a document or a URL


async def on_document(update: Update, context: Ctx) -> None:
    """An admin sends a bulletin document in a private chat: check it, download it, parse it, show the preview."""
    desk = _desk(context)
    message = update.effective_message
    if message is None or message.document is None or update.effective_user is None:
        return
    if not await desk.is_admin(update, context, "publish_upload"):
        return
    lang = user_lang(update)
    doc = message.document
    name = doc.file_name or ""
    limit = desk.config.publish.max_upload_mb
    if doc.file_size is not None and doc.file_size > limit * _MB:
        await _say(update, context, t(lang, "desk_too_big", size=f"{doc.file_size / _MB:.1f}", max=f"{limit:g}"))
        return
    extension = os.path.splitext(name)[1].lower()
    if extension not in DOCUMENT_EXTENSIONS:
        await _say(update, context, t(lang, "desk_wrong_type", ext=esc(extension or name or "?")))
        return
    try:
        tg_file = await context.bot.get_file(doc.file_id)
        data = bytes(await tg_file.download_as_bytearray())
    except BadRequest as exc:
        too_big = "too big" in str(exc).lower()
        log.warning("could not download document %r from %s: %s", name, update.effective_user.id, exc)
        key = "desk_too_big" if too_big else "desk_download_failed"
        await _say(update, context, t(lang, key, size="> 20", max=f"{limit:g}"))
        return
    except TelegramError as exc:
        log.warning("could not download document %r from %s: %s", name, update.effective_user.id, exc)
        await _say(update, context, t(lang, "desk_download_failed"))
        return
    await _parse_and_preview(update, context, data, name, source=name)


async def on_url(update: Update, context: Ctx) -> None:
    """An admin sends the URL of a bulletin page or document: fetch it (size, time and type limited), preview it."""
    desk = _desk(context)
    message = update.effective_message
    if message is None or not message.text:
        return
    match = _URL.fullmatch(message.text)
    if match is None:
        return
    if not await desk.is_admin(update, context, "publish_url"):
        return
    lang = user_lang(update)
    url = match[1]
    settings = desk.config.publish
    try:
        data, filename = await fetch_document(
            url, timeout=settings.url_timeout, max_bytes=int(settings.url_max_mb * _MB),
            policy=NetworkPolicy(allow_private=desk.config.network.allow_private),
        )
    except FetchError as exc:
        log.info("fetching %s failed: %s", url, exc)
        if exc.code == "timeout":
            text = t(lang, "desk_url_timeout", seconds=f"{settings.url_timeout:g}")
        elif exc.code == "type":
            text = t(lang, "desk_url_type", ctype=esc(exc.detail))
        elif exc.code == "too_big":
            text = t(lang, "desk_url_too_big", max=f"{settings.url_max_mb:g}")
        elif exc.code in ("unreachable", "redirects"):
            text = t(lang, f"desk_url_{exc.code}")
        else:
            text = t(lang, "desk_url_failed", reason=esc(exc.detail or exc.code))
        await _say(update, context, text)
        return
    await _parse_and_preview(update, context, data, filename, source=url)


async def _parse_and_preview(update: Update, context: Ctx, data: bytes, filename: str, *, source: str) -> None:
    desk = _desk(context)
    lang = user_lang(update)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    partial = False
    try:
        # In a child process under time and memory limits; the thread keeps the event loop free while it runs.
        issue = await asyncio.to_thread(parse_document_bounded, data, filename, DEFAULT_LIMITS)
    except BulletinParseError as exc:
        log.info("upload %r from %s is not a bulletin: %s", source, user.id, exc)
        if exc.code != "not_bulletin" or exc.partial is None:
            await _say(update, context, t(lang, "desk_parse_failed", reason=_parse_reason(lang, exc)))
            return
        # Only the issue line is missing: the admin supplies the number or date in the preview (修改).
        issue, partial = exc.partial, True
    taken, check = await desk.units.run(lambda u: prepare_draft(u, issue))
    pending = PendingDraft(
        Draft(taken.issue, source, user.id, parsed_masthead=issue.masthead), check, chat.id, lang, time.monotonic(),
        remembered=taken.applied, needs_id=partial,
    )
    issue = taken.issue
    draft_id = desk.state.add_draft(pending)
    shown = preview_of(issue, check, lang, False, desk.ack_button)
    preview = await _say(update, context, shown.text, shown.keyboard)
    pending.preview_id = preview.message_id
    panel = panel_of(desk, draft_id, pending, _now())
    pending.panel_id = (await _say(update, context, panel.text, panel.keyboard)).message_id


# ---- the panel's buttons


class _Press(NamedTuple):
    desk: Desk
    query: CallbackQuery
    user: User
    lang: str
    target: int  # the draft or approval the button belongs to
    op: int


async def _admin_press(update: Update, context: Ctx, data: object, action: str) -> _Press | None:
    """A press on a desk button (Routed data: target, operation) by an admin (checked for ACTION); else None."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(data, Routed) or len(data.args) != 2:
        return None
    desk = _desk(context)
    if not await desk.is_admin(update, context, action):
        return None
    target, op = data.args
    return _Press(desk, query, user, user_lang(update), target, op)


async def draft_button(update: Update, context: Ctx, data: object) -> None:
    """A press on a draft's panel (publish now / schedule / replace / internal mark / cancel); admins only."""
    if (press := await _admin_press(update, context, data, "publish_confirm")) is None:
        return
    desk, query, user, lang, draft_id, op = press
    pending = desk.state.draft(draft_id, user.id)
    if pending is None:
        await query.answer(t(lang, "desk_expired"), show_alert=True)
        return
    now = _now()
    if op == OP_CANCEL:
        desk.state.drop(draft_id)
        await query.answer()
        await _edit(context, pending.chat_id, pending.panel_id, Rendered(t(lang, "desk_cancelled")))
        return
    if op == OP_REPLACE:
        pending.draft = dataclasses.replace(pending.draft, replace=True)
    elif op == OP_INTERNAL:
        pending.draft = dataclasses.replace(pending.draft, internal=not pending.draft.internal)
        preview = preview_of(
            pending.draft.issue, pending.check, pending.lang, pending.draft.internal, desk.ack_button
        )
        await _edit(context, pending.chat_id, pending.preview_id, preview)
    elif op == OP_EDIT:
        await query.answer()
        await _edit(context, pending.chat_id, pending.panel_id, fields_panel(draft_id, pending))
        return
    elif op == OP_BACK:
        if (waiting := desk.state.waiting(pending.chat_id, user.id)) is not None and waiting[1] is not None:
            desk.state.typed.done(pending.chat_id, user.id, _TYPED)
    elif OP_FIELD <= op < OP_FIELD + len(EDITABLE):
        await _ask_field(context, desk, draft_id, pending, EDITABLE[op - OP_FIELD])
        await query.answer()
        return
    elif op == OP_TYPED:
        desk.state.typed.wait(pending.chat_id, user.id, _TYPED, (draft_id, None))
        await query.answer()
        await send(context, pending.chat_id, Rendered(t(lang, "desk_ask_time", tz=desk.config.push.timezone.key)))
        return
    elif op in (OP_NOW, OP_DEFAULT, OP_TOMORROW):
        blocked = pending.check.existing is Existing.DIFFERENT and not pending.draft.replace
        if blocked or not pending.publishable():
            await query.answer(t(lang, "desk_expired"), show_alert=True)
            return
        at: dt.datetime | None = None
        if op == OP_DEFAULT:
            try:
                at = default_slot(now, desk.tz, desk.config.push.default_time, desk.config.push.calendar).at_utc
            except ScheduleError:
                at = None
        elif op == OP_TOMORROW:
            at = tomorrow_at_nine(now, desk.tz)
        await query.answer()
        await _finalize(context, desk, draft_id, pending, at)
        return
    else:
        await query.answer(t(lang, "desk_expired"), show_alert=True)
        return
    await query.answer()
    await _edit(context, pending.chat_id, pending.panel_id, panel_of(desk, draft_id, pending, now))


async def on_typed_time(update: Update, context: Ctx) -> None:
    """The time an admin typed after pressing 输入时间… on a draft's panel."""
    desk = _desk(context)
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    if message is None or chat is None or user is None or not message.text:
        return
    if not await desk.is_admin(update, context, "publish_schedule"):
        return
    lang = user_lang(update)
    waiting = desk.state.waiting(chat.id, user.id)
    pending = desk.state.draft(waiting[0], user.id) if waiting is not None else None
    if waiting is None or pending is None:
        desk.state.typed.done(chat.id, user.id, _TYPED)
        await _say(update, context, t(lang, "desk_expired"))
        return
    draft_id, name = waiting
    if name is not None:
        await _on_typed_field(update, context, desk, draft_id, pending, name, message.text)
        return
    text = message.text.strip()
    if cancels(text):
        desk.state.drop(draft_id)
        await _edit(context, pending.chat_id, pending.panel_id, Rendered(t(lang, "desk_cancelled")))
        await _say(update, context, t(lang, "desk_cancelled"))
        return
    now = _now()
    try:
        at = parse_typed_time(text, now, desk.tz)
    except ScheduleError as exc:
        key = "desk_past_time" if str(exc) == "past" else "desk_bad_time"
        await _say(update, context, t(lang, key, text=esc(text[:40]), when=esc(text[:40])))
        return
    desk.state.typed.done(chat.id, user.id, _TYPED)
    await _finalize(context, desk, draft_id, pending, at)


async def _ask_field(context: Ctx, desk: Desk, draft_id: int, pending: PendingDraft, name: str) -> None:
    """Wait for the admin to type field NAME of the draft (the same wait as for a typed time)."""
    lang = pending.lang
    desk.state.typed.wait(pending.chat_id, pending.draft.uploader_id, _TYPED, (draft_id, name))
    value = field_value(pending.draft.issue, name)
    current = t(lang, "desk_field_empty") if value is None else esc(show_value(value))
    key = "desk_edit_ask_optional" if name != "masthead" else "desk_edit_ask"
    await send(context, pending.chat_id, Rendered(t(lang, key, field=_field_name(lang, name), value=current)))


async def _on_typed_field(
    update: Update, context: Ctx, desk: Desk, draft_id: int, pending: PendingDraft, name: str, typed: str
) -> None:
    """The value an admin typed for a draft's field: validated, then the preview and the panel are redrawn."""
    lang = pending.lang
    chat_id = pending.chat_id
    if cancels(typed):
        desk.state.typed.done(chat_id, pending.draft.uploader_id, _TYPED)
        await _say(update, context, t(lang, "desk_edit_cancelled"))
        await _edit(context, chat_id, pending.panel_id, panel_of(desk, draft_id, pending, _now()))
        return
    try:
        issue = correct(pending.draft.issue, [(name, typed)])
    except FieldError as exc:
        # Still waiting: the admin types the value again (or 取消).
        key = f"desk_edit_bad_{exc.code}"
        key = key if key in keys() else "desk_edit_bad_empty"
        await _say(update, context, t(lang, key, field=_field_name(lang, name), text=esc(typed.strip()[:40])))
        return
    desk.state.typed.done(chat_id, pending.draft.uploader_id, _TYPED)
    draft = dataclasses.replace(
        pending.draft, issue=issue, corrections=(*pending.draft.corrections, (name, typed.strip())), replace=False
    )
    pending.draft = draft
    if name in ("number", "date") and field_value(issue, name) is not None:
        pending.needs_id = False
    pending.check = await desk.units.run(lambda u: check_draft(u, issue))
    value = field_value(issue, name)
    shown = t(lang, "desk_field_empty") if value is None else esc(show_value(value))
    await _say(update, context, t(lang, "desk_edit_done", field=_field_name(lang, name), value=shown))
    preview = preview_of(issue, pending.check, lang, draft.internal, desk.ack_button)
    await _edit(context, chat_id, pending.preview_id, preview)
    await _edit(context, chat_id, pending.panel_id, panel_of(desk, draft_id, pending, _now()))


def _outcome_text(desk: Desk, lang: str, committed: Committed) -> str:
    label = esc(issue_label(committed.stored.issue, lang))
    if committed.at is None:
        return t(lang, "desk_replaced_pushed", label=label)
    if committed.now:
        return t(lang, "desk_published_now", label=label)
    return t(lang, "desk_scheduled", label=label, when=f"{desk.local(committed.at)}（{desk.config.push.timezone.key}）")


def _error_text(lang: str, code: str, issue: Issue | None) -> str:
    label = esc(issue_label(issue, lang)) if issue is not None else ""
    if code == "already_pushed":
        return t(lang, "desk_already_pushed", label=label)
    if code == "push_running":
        return t(lang, "desk_push_running", label=label)
    if code == "self_approve":
        return t(lang, "desk_self_approve")
    if code == "already_decided":
        return t(lang, "desk_already_decided")
    if code == "unidentified":
        return t(lang, "desk_needs_id")
    return t(lang, "desk_expired")


async def _finalize(context: Ctx, desk: Desk, draft_id: int, pending: PendingDraft, at: dt.datetime | None) -> None:
    """Store and schedule the draft (or submit it for approval); the panel shows the outcome."""
    lang = pending.lang
    draft = pending.draft
    desk.state.drop(draft_id)
    now = _now()
    if desk.config.publish.approval:
        approval = await desk.units.run(lambda u: submit_for_approval(u, draft, at=at, now=now))
        when = t(lang, "desk_when_now") if at is None else desk.local(at)
        text = t(lang, "desk_submitted", label=esc(issue_label(draft.issue, lang)), when=esc(when))
        await _edit(context, pending.chat_id, pending.panel_id, Rendered(text))
        await _request_approval(context, desk, approval.id, draft, pending.check, at)
        return
    try:
        committed: Committed = await desk.units.run(
            lambda u: commit_draft(u, draft, at=at, now=now, actor_id=draft.uploader_id)
        )
    except DeskError as exc:
        log.info("draft %s of admin %s not published: %s", draft_id, draft.uploader_id, exc.code)
        await _edit(context, pending.chat_id, pending.panel_id, Rendered(_error_text(lang, exc.code, draft.issue)))
        return
    await _edit(context, pending.chat_id, pending.panel_id, Rendered(_outcome_text(desk, lang, committed)))


# ---- approval by a second admin


async def _request_approval(
    context: Ctx, desk: Desk, approval_id: int, draft: Draft, check: DraftCheck, at: dt.datetime | None
) -> None:
    """Send the preview and approve/reject buttons to every admin (the uploader's own approve press is refused)."""
    configured = tuple(desk.config.access.admins)
    admins: list[int] = await desk.units.run(lambda u: u.admins.all(configured))
    uploader = draft.uploader_id
    sent: list[tuple[int, int]] = []
    for admin in admins:
        # The office works in Chinese; an admin's language is unknown until they write to the bot.
        lang = "zh"
        when = t(lang, "desk_when_now") if at is None else f"{desk.local(at)}（{desk.config.push.timezone.key}）"
        text = t(
            lang, "desk_approval_request", title=bold(t(lang, "desk_approval_title")),
            masthead=esc(draft.issue.masthead), label=esc(issue_label(draft.issue, lang)), uploader=uploader,
            when=esc(when), source=esc(shorten(draft.source, 80)),
        )
        if draft.issue.warnings:
            text += "\n" + _warnings_heading(lang) + "\n" + "\n".join(f"• {esc(w)}" for w in draft.issue.warnings)
        if draft.internal:
            text += "\n" + t(lang, "desk_marked_internal")
        keyboard: Keyboard = (
            (
                Button(t(lang, "desk_btn_approve"), cb_routed(APPROVAL_KIND, approval_id, OP_APPROVE)),
                Button(t(lang, "desk_btn_reject"), cb_routed(APPROVAL_KIND, approval_id, OP_REJECT)),
            ),
        )
        try:
            await send(context, admin, preview_of(draft.issue, check, lang, draft.internal, desk.ack_button))
            message = await send(context, admin, Rendered(text, keyboard))
        except TelegramError as exc:
            log.warning("could not send approval request %s to admin %s: %s", approval_id, admin, exc)
            continue
        sent.append((admin, message.message_id))
    desk.state.approval_messages[approval_id] = sent


async def approval_button(update: Update, context: Ctx, data: object) -> None:
    """Approve or reject an upload awaiting approval; the uploader cannot approve their own (only withdraw it)."""
    if (press := await _admin_press(update, context, data, "publish_approve")) is None:
        return
    desk, query, user, lang, approval_id, op = press
    now = _now()
    if op not in (OP_APPROVE, OP_REJECT):
        await query.answer(t(lang, "desk_expired"), show_alert=True)
        return
    try:
        if op == OP_APPROVE:
            info, committed = await desk.units.run(lambda u: approve(u, approval_id, approver_id=user.id, now=now))
            outcome = _outcome_text(desk, lang, committed)
            final = t(lang, "desk_approved", admin=esc(user.full_name), outcome=outcome)
        else:
            info, state = await desk.units.run(lambda u: reject(u, approval_id, by=user.id, now=now))
            key = "desk_withdrawn" if state is ApprovalState.WITHDRAWN else "desk_rejected"
            final = t(lang, key, admin=esc(user.full_name))
    except DeskError as exc:
        if exc.code == "self_approve":
            log.warning("admin %s tried to approve their own upload (approval %s)", user.id, approval_id)
            await desk.units.run(lambda u: record_refusal(u, user.id, f"approve own upload (approval #{approval_id})"))
        else:
            log.info("approval %s by %s not carried out: %s", approval_id, user.id, exc.code)
        await query.answer(_error_text(lang, exc.code, None), show_alert=True)
        return
    await query.answer()
    label = esc(issue_label(info.issue, lang))
    text = f"{esc(info.issue.masthead)} {label}\n{final}"
    messages = desk.state.approval_messages.pop(approval_id, [])
    if query.message is not None and (query.message.chat.id, query.message.message_id) not in messages:
        messages.append((query.message.chat.id, query.message.message_id))
    for chat_id, message_id in messages:
        await _edit(context, chat_id, message_id, Rendered(text))
    if info.uploader_id != user.id and info.uploader_id not in {c for c, _ in messages}:
        try:
            await send(context, info.uploader_id, Rendered(text))
        except TelegramError as exc:
            log.warning("could not tell uploader %s about approval %s: %s", info.uploader_id, approval_id, exc)


# ---- handling marks on stored issues: /internal


_ON = {"on", "开", "是", "内部"}
_OFF = {"off", "关", "否", "普通"}


async def internal_command(update: Update, context: Ctx) -> None:
    """/internal ISSUE on|off: mark a stored issue internal (内部资料) or remove the mark; audited."""
    desk = _desk(context)
    user = update.effective_user
    if user is None:
        return
    if not await desk.is_admin(update, context, "mark_internal"):
        return
    lang = user_lang(update)
    args = list(context.args or [])
    if len(args) != 2 or not ISSUE_REF.fullmatch(args[0]) or args[1].lower() not in _ON | _OFF:
        await _say(update, context, esc(t(lang, "desk_usage_internal")))
        return
    ref, internal = args[0], args[1].lower() in _ON

    now = _now()
    stored = await desk.units.run(lambda u: mark_internal(u, ref, internal, by=user.id, now=now))
    if stored is None:
        await _say(update, context, t(lang, "unknown_issue", ref=esc(ref)))
        return
    label = issue_label(stored.issue, lang)
    await _say(update, context, t(lang, "desk_internal_on" if internal else "desk_internal_off", label=esc(label)))


# ---- wiring


def desk_extension(config: Config, factory: sessionmaker[Session]) -> Extension:
    """ExtensionFactory (bot/app.py): the desk's handlers and button routes, for a push that sends the 已阅 button
    (as `bulletin-bot run` does)."""
    return make_desk_extension(ack_button=True)(config, factory)


def make_desk_extension(*, ack_button: bool) -> Callable[[Config, sessionmaker[Session]], Extension]:
    """An ExtensionFactory for a push whose contents messages have (or lack) the 已阅 button (PushSettings)."""

    def make(config: Config, factory: sessionmaker[Session]) -> Extension:
        return _extension(Desk(config, factory, DeskState(), ack_button))

    return make


def _extension(desk: Desk) -> Extension:
    state = desk.state
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    handlers: list[BaseHandler[Any, Any, Any]] = [
        MessageHandler(private & filters.Document.ALL, on_document),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & state.typed.filter(_TYPED), on_typed_time),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & filters.Regex(_URL), on_url),
        CommandHandler("internal", internal_command, filters=private),
        on_button(draft_button, DRAFT_KIND),
        on_button(approval_button, APPROVAL_KIND),
    ]
    return Extension(handlers=handlers, state=[desk])
