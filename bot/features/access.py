"""The subscription and access feature: /subscribe, /unsubscribe, /settings and the department buttons, who may
subscribe ([access] mode: open, invite, approval), invite links, approval of subscription requests, admins removing
subscribers, /audit, and the per-user command rate limit.

Callback kind "q" (bot/callbacks.py routed kind): ``1:q:<request_id>:<1 approve | 0 deny>``.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, MessageHandler, TypeHandler, filters

from bot import callbacks as cb
from bot.common import chat as h
from bot.common.awaiting import Awaiting
from bot.common.context import Ctx
from bot.common.feature import Extension, on_button
from bot.common.guards import admin_only, what
from bulletin.i18n import lang_of, t
from bulletin.render import Button, Keyboard, Rendered, esc, shorten
from config import Config
from jobs.access import (
    AccessRules,
    Applicant,
    admit,
    check_invite,
    create_invite,
    invite_refusal,
    leave,
    refusal_before_subscribing,
    remove_subscriber,
)
from jobs.access import decide_request as decide
from jobs.schedule import ScheduleError, parse_duration
from jobs.uow import UnitsOfWork
from storage.access_repo import (
    InviteStatus,
    RequestState,
    SubscriptionRequest,
)
from storage.subscribers import Subscriber
from storage.types import utcnow

log = logging.getLogger(__name__)

REQUEST_KIND = "q"
INVITE_PREFIX = "inv_"
INVITE_PAYLOAD = re.compile(r"inv_([A-Za-z0-9_-]{8,40})")
AUDIT_DEFAULT = 20
AUDIT_MAX = 50
SUBSCRIBERS_SHOWN = 50
REQUESTS_SHOWN = 20
_UNLIMITED_WORDS = frozenset({"多次", "不限", "multi", "unlimited"})
_CHAT_ID = re.compile(r"-?[0-9]{1,18}")
_RATE_WINDOW = 60.0


def _actor(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user is not None else None


def invite_duration(text: str) -> dt.timedelta | None:
    """A typed /invite validity ('30m', '48h', '7d'): the one duration parser's value if positive, else None."""
    try:
        duration = parse_duration(text)
    except ScheduleError:
        return None
    return duration if duration > dt.timedelta(0) else None


def _local(config: Config, at: dt.datetime) -> str:
    return at.astimezone(config.push.timezone).strftime("%Y-%m-%d %H:%M")


# --- who may subscribe


def _rules(config: Config) -> AccessRules:
    return AccessRules(mode=config.access.mode, admins=tuple(config.access.admins))


def _invite_code(context: Ctx) -> str | None:
    value = context.chat_data.get("invite_code") if context.chat_data is not None else None
    return value if isinstance(value, str) else None


async def subscription_refusal(update: Update, context: Ctx) -> str | None:
    """Before offering the department keyboard: the refusal text when this chat may not subscribe at all now.

    Only [access] mode = "invite" refuses up front (no valid invite code); "approval" asks the admins later.
    """
    d = h.deps(context)
    chat, user = update.effective_chat, update.effective_user
    if d.config.access.mode != "invite" or chat is None:
        return None
    code = _invite_code(context)
    user_id = user.id if user is not None else None
    rules = _rules(d.config)
    key = await h.unit_of_work(context, lambda u: refusal_before_subscribing(u, chat.id, user_id, rules, code))
    if key is not None and key != "access_invite_required" and context.chat_data is not None:
        context.chat_data.pop("invite_code", None)
    return None if key is None else t(h.user_lang(update), key)


def _anonymous_admin(update: Update) -> bool:
    """An anonymous admin, writing as the group itself (only admins can)."""
    chat, message = update.effective_chat, update.effective_message
    return chat is not None and message is not None and message.sender_chat is not None and (
        message.sender_chat.id == chat.id
    )


async def telegram_group_admin(update: Update, context: Ctx) -> bool:
    """Whether Telegram says the sender may change this chat's subscription: always in a private chat (its user's
    own); in a group for an anonymous admin or a member getChatMember (asked now) lists as owner or administrator.
    The bot's own admins are looked up in the database, not here."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE or _anonymous_admin(update):
        return True
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("could not ask chat %s whether user %s is an admin: %s", chat.id, user.id, exc)
        return False
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def _group_refusal(update: Update) -> str:
    chat, user = update.effective_chat, update.effective_user
    log.info("refused user %s changing the subscription of group %s: %s", user.id if user else None,
             chat.id if chat else None, what(update))
    return t(h.user_lang(update), "group_admins_only")


async def subscribe(update: Update, context: Ctx, department: str) -> str:
    """Subscribe the update's chat with DEPARTMENT as [access] mode allows; the answer to show the user.

    An active subscriber just changes department (a group's only by its admins or the bot's, see jobs.access.admit).
    Admins, "open" mode and a valid invite code (consumed in the same transaction as the subscription) subscribe at
    once; "invite" without a valid code is refused; "approval" records a request and sends it to the admins with
    approve / deny buttons. Telegram is asked first (whether the sender is a group admin), then the decision and
    its write are one unit of work.
    """
    d = h.deps(context)
    config = d.config
    lang = h.user_lang(update)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    group_admin = await telegram_group_admin(update, context)
    code = _invite_code(context)
    applicant = Applicant(
        chat.id,
        chat_type=chat.type,
        user_id=user.id if user else None,
        display_name=h.display_name(chat, user),
        language_code=user.language_code if user else None,
    )
    rules = _rules(config)
    outcome = await h.unit_of_work(
        context, lambda u: admit(u, applicant, department, rules, code, group_admin=group_admin)
    )
    if outcome.key == "group_admins_only":
        return _group_refusal(update)
    if code is not None and context.chat_data is not None and outcome.key != "department_changed":
        context.chat_data.pop("invite_code", None)
    if outcome.request is not None:
        await _announce_request(context, outcome.request, outcome.admins)
    return t(lang, outcome.key, department=esc(department))


def _request_text(lang: str, request: SubscriptionRequest) -> str:
    return t(
        lang,
        "access_request_admin",
        name=esc(request.display_name),
        chat_id=f"<code>{request.chat_id}</code>",
        chat_type=esc(request.chat_type),
        department=esc(request.department),
    )


def _request_keyboard(lang: str, request_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(t(lang, "access_btn_approve"), cb.cb_routed(REQUEST_KIND, request_id, 1)),
            Button(t(lang, "access_btn_deny"), cb.cb_routed(REQUEST_KIND, request_id, 0)),
        ),
    )


async def _announce_request(context: Ctx, request: SubscriptionRequest, admins: tuple[int, ...]) -> None:
    """Send the request to every admin's private chat; an admin who never started the bot is skipped."""
    reached = 0
    for admin_id in admins:
        # An admin's language is unknown here (no update from them); the office's language is the default.
        lang = lang_of(None)
        try:
            await h.send(context, admin_id, Rendered(_request_text(lang, request), _request_keyboard(lang, request.id)))
            reached += 1
        except TelegramError as exc:
            log.warning("could not send subscription request %s to admin %s: %s", request.id, admin_id, exc)
    if reached == 0:
        log.warning("subscription request %s reached no admin (none configured or none started the bot)", request.id)


@admin_only("request_decide")
async def decide_request(update: Update, context: Ctx, data: cb.Callback) -> None:
    """Approve / deny button of a subscription request: admins only, once; the requester is told the outcome."""
    query = update.callback_query
    assert query is not None
    lang = h.user_lang(update)
    # admin_only checks the sender first, so that a non-admin's malformed (forged) data is refused and logged too.
    if not isinstance(data, cb.Routed) or len(data.args) != 2 or data.args[1] not in (0, 1):
        await h.expired(query, lang)
        return
    request_id, approve = data.args[0], data.args[1] == 1
    actor = _actor(update)
    assert actor is not None

    decided, earlier = await h.unit_of_work(context, lambda u: decide(u, request_id, approve, actor))
    if decided is None:
        if earlier is None:
            await h.expired(query, lang)
            return
        key = "access_request_already_approved" if earlier.state is RequestState.APPROVED else (
            "access_request_already_denied"
        )
        await query.answer(t(lang, key), show_alert=True)
        await h.edit(query, Rendered(_request_text(lang, earlier) + "\n\n" + t(lang, key)))
        return
    outcome = "access_request_approved_by" if approve else "access_request_denied_by"
    who = update.effective_user.full_name if update.effective_user else str(actor)
    await query.answer()
    await h.edit(query, Rendered(_request_text(lang, decided) + "\n\n" + t(lang, outcome, admin=esc(who))))
    requester_lang = lang_of(decided.language_code)
    text = t(requester_lang, "access_you_approved" if approve else "access_you_denied", department=esc(
        decided.department
    ))
    try:
        await h.send(context, decided.chat_id, Rendered(text))
    except TelegramError as exc:
        log.warning("could not tell chat %s the outcome of request %s: %s", decided.chat_id, decided.id, exc)


# --- invites


async def start_with_invite(update: Update, context: Ctx, code: str) -> None:
    """/start inv_<code> (an invite link): check the code, keep it for this chat, offer the departments."""
    d = h.deps(context)
    lang = h.user_lang(update)
    chat = update.effective_chat
    assert chat is not None

    status, current = await h.unit_of_work(context, lambda u: check_invite(u, chat.id, code))
    if current is not None and current.active:
        await h.reply(update, context, t(lang, "access_invite_already_subscribed"))
        return
    if status is not InviteStatus.VALID:
        await h.reply(update, context, t(lang, invite_refusal(status)))
        return
    if context.chat_data is not None:
        context.chat_data["invite_code"] = code
    await h.reply(update, context, t(lang, "access_invite_ok"), department_keyboard(d.config, lang))


def _parse_invite_args(args: list[str], default_ttl: dt.timedelta) -> tuple[int | None, dt.timedelta] | None:
    uses: int | None = 1
    ttl = default_ttl
    seen_uses = seen_ttl = False
    for arg in args:
        duration = invite_duration(arg)
        if duration is not None and not seen_ttl:
            ttl, seen_ttl = duration, True
        elif arg.lower() in _UNLIMITED_WORDS and not seen_uses:
            uses, seen_uses = None, True
        elif arg.isascii() and arg.isdigit() and not seen_uses and 1 <= int(arg) <= 10000:
            uses, seen_uses = int(arg), True
        else:
            return None
    if ttl > dt.timedelta(days=365):
        return None
    return uses, ttl


@admin_only("invite_create")
async def invite_command(update: Update, context: Ctx) -> None:
    """/invite [uses|多次] [duration]: admins create an invite link (default single use, [access] invite_ttl)."""
    d = h.deps(context)
    lang = h.user_lang(update)
    parsed = _parse_invite_args(h.args_of(context), d.config.access.invite_ttl)
    if parsed is None:
        await h.reply(update, context, esc(t(lang, "access_usage_invite")))
        return
    uses, ttl = parsed
    actor = _actor(update)
    expires = utcnow() + ttl

    code = await h.unit_of_work(context, lambda u: create_invite(u, actor, expires, uses))
    link = f"https://t.me/{context.bot.username}?start={INVITE_PREFIX}{code}"
    uses_text = t(lang, "access_invite_unlimited") if uses is None else t(lang, "access_invite_uses", uses=uses)
    text = t(lang, "access_invite_created", uses=uses_text, expires=_local(d.config, expires), link=esc(link))
    if d.config.access.mode != "invite":
        text += "\n\n" + t(lang, "access_invite_mode_note", mode=esc(d.config.access.mode))
    await h.reply(update, context, text)


# --- subscribers and the audit log in chat


@admin_only("subscribers_list")
async def subscribers_command(update: Update, context: Ctx) -> None:
    """/subscribers: admins see the count and the active subscribers (chat id, name, department)."""
    lang = h.user_lang(update)

    active, pending = await h.unit_of_work(context, lambda u: (u.subscribers.active(), u.requests.pending()))
    lines = [t(lang, "access_subscribers_heading", count=len(active))]
    for sub in active[:SUBSCRIBERS_SHOWN]:
        lines.append(f"<code>{sub.chat_id}</code> {esc(sub.display_name)} · {esc(sub.department or '—')}")
    if len(active) > SUBSCRIBERS_SHOWN:
        lines.append(t(lang, "access_subscribers_more", count=len(active) - SUBSCRIBERS_SHOWN))
    if pending:
        lines.append(t(lang, "access_pending_count", count=len(pending)))
    lines.append(t(lang, "access_subscribers_hint"))
    await h.reply(update, context, "\n".join(lines))


@admin_only("subscriber_remove")
async def remove_command(update: Update, context: Ctx) -> None:
    """/remove CHAT_ID: admins end a subscription; the chat is told, the audit log records it."""
    lang = h.user_lang(update)
    args = h.args_of(context)
    if len(args) != 1 or not _CHAT_ID.fullmatch(args[0]):
        await h.reply(update, context, esc(t(lang, "access_usage_remove")))
        return
    chat_id, actor = int(args[0]), _actor(update)

    removed = await h.unit_of_work(context, lambda u: remove_subscriber(u, chat_id, actor))
    if removed is None:
        await h.reply(update, context, t(lang, "access_remove_unknown", chat_id=chat_id))
        return
    await h.reply(
        update, context, t(lang, "access_removed", name=esc(removed.display_name), chat_id=chat_id)
    )
    try:
        await h.send(context, chat_id, Rendered(t(lang_of(removed.language_code), "access_you_were_removed")))
    except TelegramError as exc:
        log.warning("could not tell chat %s it was removed: %s", chat_id, exc)


@admin_only("audit_view")
async def audit_command(update: Update, context: Ctx) -> None:
    """/audit [N]: admins see the newest N audit entries (default 20, at most 50)."""
    d = h.deps(context)
    lang = h.user_lang(update)
    args = h.args_of(context)
    if len(args) > 1 or (args and not (args[0].isascii() and args[0].isdigit() and 1 <= int(args[0]) <= AUDIT_MAX)):
        await h.reply(update, context, esc(t(lang, "access_usage_audit", max=AUDIT_MAX)))
        return
    limit = int(args[0]) if args else AUDIT_DEFAULT
    entries = await h.unit_of_work(context, lambda u: u.audit.recent(limit))
    if not entries:
        await h.reply(update, context, t(lang, "access_audit_empty"))
        return
    lines = [t(lang, "access_audit_heading", count=len(entries))]
    lines += [e.line(_local(d.config, e.at)) for e in entries]
    await h.reply(update, context, esc("\n".join(lines)))


@admin_only("requests_list")
async def requests_command(update: Update, context: Ctx) -> None:
    """/requests: admins get every pending subscription request again, each with its approve / deny buttons."""
    lang = h.user_lang(update)
    pending = await h.unit_of_work(context, lambda u: u.requests.pending())
    if not pending:
        await h.reply(update, context, t(lang, "access_no_requests"))
        return
    for request in pending[:REQUESTS_SHOWN]:
        await h.reply(update, context, _request_text(lang, request), _request_keyboard(lang, request.id))
    if len(pending) > REQUESTS_SHOWN:
        await h.reply(update, context, t(lang, "access_requests_more", count=len(pending) - REQUESTS_SHOWN))


@admin_only("admin_help")
async def admin_help_command(update: Update, context: Ctx) -> None:
    """/admin: the admin commands (admins only)."""
    lang = h.user_lang(update)
    sections = ("access_admin_help", "desk_admin_help", "receipts_admin_help")
    await h.reply(update, context, "\n\n".join(t(lang, key) for key in sections))


# --- per-user rate limit


class CommandRateLimiter:
    """At most LIMIT updates per user (commands, texts, files, button presses) in any 60 s window; the first one
    over the limit gets a polite wait message, the rest of the burst is dropped silently (so a flood cannot make
    the bot flood back)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._seen: dict[int, collections.deque[float]] = {}
        self._warned: dict[int, float] = {}

    def check(self, user_id: int) -> tuple[bool, float, bool]:
        """(allowed, seconds to wait, whether to tell the user) for one update of USER_ID now."""
        now = self._clock()
        window = self._seen.setdefault(user_id, collections.deque())
        while window and now - window[0] >= _RATE_WINDOW:
            window.popleft()
        if self.limit <= 0 or len(window) < self.limit:
            window.append(now)
            self._warned.pop(user_id, None)
            if len(self._seen) > 10000:  # forget idle users so memory stays bounded
                self._forget_idle(now)
            return True, 0.0, False
        wait = _RATE_WINDOW - (now - window[0])
        tell = user_id not in self._warned
        self._warned[user_id] = now
        return False, wait, tell

    def _forget_idle(self, now: float) -> None:
        for uid in [u for u, w in self._seen.items() if not w or now - w[-1] >= _RATE_WINDOW]:
            del self._seen[uid]
            self._warned.pop(uid, None)


def _counted(update: Update) -> bool:
    """Whatever a user does counts; membership changes (a user blocks the bot, someone adds it to a group) do not:
    the bot must always record those, and they are never answered."""
    return update.my_chat_member is None and update.chat_member is None and update.chat_join_request is None


class AccessGuard:
    """The rate limit, installed in handler group -1 so it runs before every other handler: no handler can forget
    it, and nothing past the limit is answered, refused or audited."""

    def __init__(self, config: Config, factory: sessionmaker[Session]) -> None:
        self._config = config
        self._units = UnitsOfWork(factory)
        self.limiter = CommandRateLimiter(config.access.rate_limit_per_minute)

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Install the guard before the bot's own handlers."""
        application.add_handler(TypeHandler(Update, self.guard), group=-1)

    async def stop(self) -> None:
        """Nothing to release."""

    async def _is_admin(self, user_id: int) -> bool:
        """Admins are never held back (asked only once a user is over the limit, so normal traffic costs nothing)."""
        configured = tuple(self._config.access.admins)
        if user_id in configured:
            return True

        return await self._units.run(lambda u: u.admins.is_admin(user_id, configured))

    async def guard(self, update: Update, context: Ctx) -> None:
        """Updates beyond the per-user rate limit: one polite wait message, then nothing until the window frees."""
        user = update.effective_user
        if user is None or not _counted(update):
            return
        allowed, wait, tell = self.limiter.check(user.id)
        if allowed or await self._is_admin(user.id):
            return
        log.info("rate limit: user %s sent more than %s updates in a minute", user.id, self.limiter.limit)
        if tell and update.effective_chat is not None:
            text = t(lang_of(user.language_code), "access_rate_limited", seconds=max(1, int(wait + 0.999)))
            try:
                await h.send(context, update.effective_chat.id, Rendered(text))
            except TelegramError as exc:
                log.warning("could not send the wait message to user %s: %s", user.id, exc)
        raise ApplicationHandlerStop


# --- subscribing: /subscribe, /unsubscribe, /settings, the department buttons and a typed department


MAX_DEPARTMENT_CHARS = 64
DEPARTMENT_WAIT_TTL = 3600.0
_DEPARTMENT = "department"


class DepartmentWaits(Awaiting[None]):
    """The private chats asked (after 其他) to type their department; their next text goes to `typed_department`.

    A type of its own: bot_data keeps one state object per type (BotData.put)."""


def department_keyboard(config: Config, lang: str) -> Keyboard:
    """One button per [access] department, and 其他 to type one."""
    rows = [(Button(shorten(name), cb.cb_department(i)),) for i, name in enumerate(config.access.departments)]
    rows.append((Button(t(lang, "btn_other_department"), cb.cb_department(None)),))
    return tuple(rows)


def _clean_department(text: str) -> str | None:
    name = " ".join(text.split())
    return name if 1 <= len(name) <= MAX_DEPARTMENT_CHARS else None


async def subscribe_command(update: Update, context: Ctx) -> None:
    """/subscribe [department]: subscribe, choosing the department on a keyboard or typing it."""
    lang = h.user_lang(update)
    args = h.args_of(context)
    if args:
        department = _clean_department(" ".join(args))
        if department is None:
            refusal = await subscription_refusal(update, context)
            await h.reply(update, context, refusal or t(lang, "department_invalid", max=MAX_DEPARTMENT_CHARS))
            return
        # admit refuses as subscription_refusal would, in the one unit of work that decides and writes
        await h.reply(update, context, await subscribe(update, context, department))
        return
    if (refusal := await subscription_refusal(update, context)) is not None:
        await h.reply(update, context, refusal)
        return
    await h.reply(update, context, t(lang, "subscribe_choose"), department_keyboard(h.deps(context).config, lang))


async def unsubscribe_command(update: Update, context: Ctx) -> None:
    """/unsubscribe: stop the subscription of this chat (a group's: only its admins)."""
    lang = h.user_lang(update)
    chat = update.effective_chat
    assert chat is not None
    user_id = update.effective_user.id if update.effective_user else None
    rules = _rules(h.deps(context).config)
    group_admin = await telegram_group_admin(update, context)  # Telegram first, outside the unit of work
    key = await h.unit_of_work(context, lambda u: leave(u, chat.id, user_id, rules, group_admin=group_admin))
    if key == "group_admins_only":
        await h.reply(update, context, _group_refusal(update))
        return
    context.bot_data.part(DepartmentWaits).done_in_chat(chat.id)
    await h.reply(update, context, t(lang, key))


async def settings_command(update: Update, context: Ctx) -> None:
    """/settings: show the department and offer to change it."""
    lang = h.user_lang(update)
    chat = update.effective_chat
    assert chat is not None
    current: Subscriber | None = await h.unit_of_work(context, lambda u: u.subscribers.get(chat.id))
    if current is None or not current.active:
        await h.reply(update, context, t(lang, "not_subscribed"))
        return
    text = t(lang, "settings_current", department=esc(current.department or "—"))
    await h.reply(update, context, text, department_keyboard(h.deps(context).config, lang))


async def typed_department(update: Update, context: Ctx) -> None:
    """Private text while the chat was asked (after 其他) to type its department: subscribe with it."""
    lang = h.user_lang(update)
    message, chat = update.effective_message, update.effective_chat
    if message is None or not message.text or chat is None:
        return
    department = _clean_department(message.text)
    if department is None:
        await h.reply(update, context, t(lang, "department_invalid", max=MAX_DEPARTMENT_CHARS))
        return
    if update.effective_user is not None:
        context.bot_data.part(DepartmentWaits).done(chat.id, update.effective_user.id, _DEPARTMENT)
    await h.reply(update, context, await subscribe(update, context, department))


async def department_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """A department button: subscribe with it (or change to it); 其他 asks the chat to type one."""
    query = update.callback_query
    assert query is not None and isinstance(data, cb.ChooseDepartment)
    lang = h.user_lang(update)
    departments = h.deps(context).config.access.departments
    chat = update.effective_chat
    assert chat is not None
    if data.index is None:
        await query.answer()
        if chat.type == ChatType.PRIVATE:
            if update.effective_user is not None:
                context.bot_data.part(DepartmentWaits).wait(chat.id, update.effective_user.id, _DEPARTMENT, None)
            await h.edit(query, Rendered(t(lang, "subscribe_type_department")))
        else:
            await h.edit(query, Rendered(t(lang, "subscribe_type_department_group")))
        return
    if data.index >= len(departments):
        await h.expired(query, lang)
        return
    await query.answer()
    await h.edit(query, Rendered(await subscribe(update, context, departments[data.index])))


async def start_with_invite_command(update: Update, context: Ctx) -> None:
    """/start inv_<code>: an invite link (deep link) opened; the department keyboard follows a valid code."""
    args = h.args_of(context)
    m = INVITE_PAYLOAD.fullmatch(args[0]) if len(args) == 1 else None
    assert m is not None  # the handler's filter matched
    await start_with_invite(update, context, m[1])


# --- the extension


def access_extension(config: Config, factory: sessionmaker[Session]) -> Extension:
    """ExtensionFactory: subscribing, invites, the admin commands, the request buttons and the rate-limit guard."""
    message = filters.UpdateType.MESSAGE
    private_text = filters.ChatType.PRIVATE & message & filters.TEXT & ~filters.COMMAND
    awaiting = DepartmentWaits(DEPARTMENT_WAIT_TTL)
    commands = {
        "subscribe": subscribe_command,
        "unsubscribe": unsubscribe_command,
        "settings": settings_command,
        "invite": invite_command,
        "subscribers": subscribers_command,
        "remove": remove_command,
        "audit": audit_command,
        "requests": requests_command,
        "admin": admin_help_command,
    }
    invite_link = filters.Regex(rf"^\S+\s+{INVITE_PAYLOAD.pattern}\s*$")
    return Extension(
        handlers=[
            # Before the reading feature's /start: an invite link is this feature's.
            CommandHandler("start", start_with_invite_command, filters=message & invite_link),
            *(CommandHandler(name, callback, filters=message) for name, callback in commands.items()),
            MessageHandler(private_text & awaiting.filter(_DEPARTMENT), typed_department),
            on_button(department_button, cb.ChooseDepartment),
            on_button(decide_request, REQUEST_KIND),
        ],
        services=[AccessGuard(config, factory)],
        state=[awaiting],
    )
