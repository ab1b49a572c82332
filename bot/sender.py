"""PushPort implemented with python-telegram-bot: sends rendered messages and maps PTB errors to jobs.ports."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, LinkPreviewOptions, Update
from telegram import error as tg
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes

from bot.access import require_admin
from bot.aiohttp_request import AiohttpRequest
from bot.app import Extension
from bot.callbacks import Routed
from bot.common.errors import is_not_modified, outcome
from bot.handlers import Deps
from bot.keyboards import to_markup
from bulletin.i18n import lang_of, t
from bulletin.render import Keyboard, Rendered
from jobs.leader import LeaderJobs, LeaderLock, LeadershipLost
from jobs.push import PublishError, PushSettings, resend_failed, utcnow
from jobs.push_messages import RESEND_KIND
from jobs.runner import PushRunner
from storage.access_repo import AuditLog
from storage.db import transaction

log = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_NO_PREVIEW_JSON = json.dumps(_NO_PREVIEW.to_dict())

@functools.lru_cache(maxsize=64)
def _markup_json(keyboard: Keyboard) -> str | None:
    # The JSON PTB would post for to_markup(keyboard); a push sends one keyboard per language thousands of times.
    markup = to_markup(keyboard)
    return None if markup is None else json.dumps(markup.to_dict())


class TelegramSender:
    """Sends push messages through a PTB Bot (already initialised by the caller)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # A plain Bot (make_push_bot) has no defaults, rate limiter or callback-data cache, so posting the
        # request ourselves sends exactly what send_message would, without building objects for each message
        # and parsing each answer into a Message (a third of the push's CPU). An ExtBot (the Application's)
        # goes through send_message so that its extras apply.
        self._raw = type(bot) is Bot

    async def _send_raw(self, chat_id: int, rendered: Rendered, *, protect: bool, paid: bool) -> int:
        data: dict[str, object] = {
            "chat_id": chat_id,
            "text": rendered.text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": _NO_PREVIEW_JSON,
            "reply_markup": _markup_json(rendered.keyboard),
            "protect_content": protect,
            "allow_paid_broadcast": True if paid else None,
        }
        # Bot._post is what send_message calls (then Message.de_json on the answer): same request, same
        # mapping of error answers to PTB's exceptions. Private in PTB 22; test_push_localbot covers it.
        result = await self.bot._post("sendMessage", data)
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise tg.TelegramError(f"unexpected answer to sendMessage: {result!r}"[:300])
        return int(result["message_id"])

    async def send(self, chat_id: int, rendered: Rendered, *, protect: bool = False, paid: bool = False) -> int:
        """Send one HTML message; returns its message id or raises a jobs.ports.SendError."""
        try:
            if self._raw:
                return await self._send_raw(chat_id, rendered, protect=protect, paid=paid)
            message = await self.bot.send_message(
                chat_id,
                rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=to_markup(rendered.keyboard),
                link_preview_options=_NO_PREVIEW,
                protect_content=protect,
                allow_paid_broadcast=paid or None,
            )
        except tg.TelegramError as exc:
            raise outcome(exc) from exc
        return message.message_id

    async def edit(self, chat_id: int, message_id: int, rendered: Rendered) -> None:
        """Edit a progress message in place; 'message is not modified' is fine."""
        try:
            await self.bot.edit_message_text(
                rendered.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=to_markup(rendered.keyboard),
                link_preview_options=_NO_PREVIEW,
            )
        except tg.TelegramError as exc:
            if is_not_modified(exc):
                return
            raise outcome(exc) from exc


# ---- wiring into the bot (bot/app.py extension hook)


def make_push_bot(
    token: str, api_base_url: str, *, read_timeout: float = 10.0, connect_timeout: float = 5.0, pool_size: int = 256
) -> Bot:
    """A PTB Bot for sending pushes outside the Application (push-worker, tests, benchmark), on aiohttp."""
    # aiohttp rather than PTB's default httpx: the client's CPU per request is what limits paid broadcasts.
    request = AiohttpRequest(
        connection_pool_size=pool_size, read_timeout=read_timeout, write_timeout=read_timeout,
        connect_timeout=connect_timeout, pool_timeout=read_timeout,
    )
    return Bot(token, base_url=api_base_url, request=request)


def leader_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> LeaderJobs:
    """The process's one scheduler for the leader's timed work, shared by the bot's background services.

    The bot starts its services only once it leads (`run` takes leadership first), so a service adds its job and
    starts this scheduler; PushService stops it the moment leadership is lost. Its timezone is [push] timezone.
    """
    jobs = application.bot_data.get("leader_jobs")
    if not isinstance(jobs, LeaderJobs):
        deps: Deps = application.bot_data["deps"]
        jobs = application.bot_data["leader_jobs"] = LeaderJobs(deps.config.push.timezone)
    return jobs


class PushService:
    """BackgroundService running the push runner on its own push Bot (and watching leadership)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: PushSettings,
        leadership: LeaderLock | None = None,
        *,
        token: str,
        api_base_url: str,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.leadership = leadership
        self.token = token
        self.api_base_url = api_base_url
        self.runner: PushRunner | None = None
        self.jobs: LeaderJobs | None = None
        self._bot: Bot | None = None
        self._watch: asyncio.Task[None] | None = None

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Start polling the pushes table."""
        # Pushes go through their own plain Bot on aiohttp (make_push_bot), as `push-worker` and the benchmark
        # do: the Application's ExtBot on httpx builds a Message per answer and sent paid broadcasts at a
        # fraction of the rate. Same token, same server; replies in chat keep the Application's bot.
        self._bot = make_push_bot(self.token, self.api_base_url)
        await self._bot.initialize()
        deps = application.bot_data.get("deps")
        budget = getattr(deps, "send_budget", None)
        self.runner = PushRunner(self.factory, TelegramSender(self._bot), self.settings, shared_limiter=budget)
        self.jobs = leader_jobs(application)
        await self.runner.start(jobs=self.jobs)
        if self.leadership is not None:
            self._watch = asyncio.create_task(self._watch_leadership(application))

    async def _watch_leadership(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        assert self.leadership is not None
        try:
            await self.leadership.watch()
        except LeadershipLost:
            # Another process may lead now: stop every timed job (push polling, reminders) at once.
            log.error("lost leadership; stopping the bot so that another process takes over")
            if self.jobs is not None:
                await self.jobs.stop()
            application.stop_running()

    async def stop(self) -> None:
        """Stop; an interrupted push resumes from its ledger on the next start."""
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        if self.runner is not None:
            await self.runner.stop()
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None


async def resend_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: object) -> None:
    """The summary's "resend to failed chats" button (admins only, checked at the press, audited)."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or not isinstance(data, Routed) or len(data.args) != 1:
        return
    lang = lang_of(user.language_code)
    deps = context.bot_data["deps"]
    factory: sessionmaker[Session] = deps.session_factory
    if not await require_admin(update, context, factory, deps.config, action="resend"):
        return
    issue_id = data.args[0]

    def work() -> tuple[str, int]:
        with transaction(factory) as session:
            try:
                push, count = resend_failed(session, issue_id, utcnow())
            except PublishError as exc:
                return ("push_resend_nothing" if "nothing to resend" in str(exc) else "push_resend_busy"), 0
            AuditLog(session).record(actor_id=user.id, action="resend", issue_id=issue_id,
                                     detail=f"push #{push.id} to {count} failed chats")
            return "push_resend_scheduled", count

    key, count = await asyncio.to_thread(work)
    await query.answer(t(lang, key, count=count), show_alert=key != "push_resend_scheduled")


def push_extension(
    settings: PushSettings, leadership: LeaderLock | None = None
) -> Callable[[Any, sessionmaker[Session]], Extension]:
    """An ExtensionFactory for bot/app.py: the push runner service and the resend button route."""

    def make(config: Any, factory: sessionmaker[Session]) -> Extension:
        service = PushService(
            factory, settings, leadership, token=config.telegram.token, api_base_url=config.telegram.api_base_url
        )
        return Extension(services=[service], callback_routes={RESEND_KIND: resend_button})

    return make
