"""Telegram adapters of jobs/ ports: the PushPort (TelegramSender), the CorrectionPort (TelegramCorrector), the
push's own Bot, and the leader's one scheduler. PTB errors become jobs.ports errors in bot/common/errors.py.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram import error as tg
from telegram.constants import ParseMode
from telegram.ext import Application

from bot.aiohttp_request import AiohttpRequest
from bot.common.context import BotData
from bot.common.errors import is_not_modified, outcome
from bot.common.keyboards import is_private, to_markup
from bulletin.render import Keyboard, Rendered
from jobs.leader import LeaderJobs

# How long the bot waits for Telegram's answer. Telegram may hold a request that met flood control for up to about
# 8 s and then succeed (TDLib resends a bot's request while its flood waits add up to 8 s: NetQueryCreator.cpp,
# NetQueryDelayer.cpp); PTB's default of 5 s would give up on a message that is then delivered, and a retry
# would send it twice. 20 s leaves room for the hold plus a slow network.
API_READ_TIMEOUT = 20.0

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_NO_PREVIEW_JSON = json.dumps(_NO_PREVIEW.to_dict())

async def send_message(bot: Bot, chat_id: int, rendered: Rendered, **extra: Any) -> int:
    """Send RENDERED as HTML without a link preview through BOT (EXTRA: send_message's other arguments); its
    message id, or the jobs.ports error for what Telegram answered."""
    try:
        message = await bot.send_message(
            chat_id,
            rendered.text,
            parse_mode=ParseMode.HTML,
            reply_markup=to_markup(rendered.keyboard, chat_id),
            link_preview_options=_NO_PREVIEW,
            **extra,
        )
    except tg.TelegramError as exc:
        raise outcome(exc) from exc
    return message.message_id


@functools.lru_cache(maxsize=64)
def _markup_json(keyboard: Keyboard, private: bool) -> str | None:
    # The JSON PTB would post for to_markup(keyboard); a push sends one keyboard per language thousands of times.
    markup = to_markup(keyboard, 1 if private else -1)
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
            "reply_markup": _markup_json(rendered.keyboard, is_private(chat_id)),
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
        if not self._raw:
            return await send_message(
                self.bot, chat_id, rendered, protect_content=protect, allow_paid_broadcast=paid or None
            )
        try:
            return await self._send_raw(chat_id, rendered, protect=protect, paid=paid)
        except tg.TelegramError as exc:
            raise outcome(exc) from exc

    async def edit(self, chat_id: int, message_id: int, rendered: Rendered) -> None:
        """Edit a progress message in place; 'message is not modified' is fine."""
        try:
            await self.bot.edit_message_text(
                rendered.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=to_markup(rendered.keyboard, chat_id),
                link_preview_options=_NO_PREVIEW,
            )
        except tg.TelegramError as exc:
            if is_not_modified(exc):
                return
            raise outcome(exc) from exc


def make_push_bot(
    token: str, api_base_url: str, *, read_timeout: float = API_READ_TIMEOUT, connect_timeout: float = 5.0,
    pool_size: int = 256,
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
    data: BotData = application.bot_data
    if data.leader_jobs is None:
        data.leader_jobs = LeaderJobs(data.deps.config.push.timezone.key)
    return data.leader_jobs


class TelegramCorrector:
    """Edits, deletes and replies to the contents messages a push sent."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._sender = TelegramSender(bot)

    async def edit(self, chat_id: int, message_id: int, rendered: Rendered) -> None:
        """Replace the message's text and keyboard ('not modified' is success)."""
        await self._sender.edit(chat_id, message_id, rendered)

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Delete the message for everyone."""
        try:
            await self.bot.delete_message(chat_id, message_id)
        except tg.TelegramError as exc:
            raise outcome(exc) from exc

    async def reply(self, chat_id: int, reply_to: int, rendered: Rendered, *, protect: bool) -> int:
        """Send RENDERED as a reply to REPLY_TO (sent even if that message is gone)."""
        return await send_message(
            self.bot, chat_id, rendered, protect_content=protect,
            reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True),
        )
