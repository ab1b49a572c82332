"""PushPort implemented with python-telegram-bot: sends rendered messages and maps PTB errors to jobs.ports."""

from __future__ import annotations

import datetime as dt
import warnings

import httpx
from telegram import Bot, LinkPreviewOptions
from telegram import error as tg
from telegram.constants import ParseMode

from bot.keyboards import to_markup
from bulletin.render import Rendered
from jobs.ports import ChatGone, ChatMigrated, PermanentError, RetryAfter, TransientError

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

# 400 descriptions that mean the chat is unreachable for good (PTB lowercases after the first letter).
_GONE_400 = ("chat not found", "user not found", "peer_id_invalid", "bot was kicked", "not enough rights")


def _retry_seconds(exc: tg.RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _ambiguous(exc: tg.NetworkError) -> bool:
    """Could the request have reached Telegram? (read timeout, connection dropped after writing)."""
    cause = exc.__cause__
    if isinstance(cause, httpx.PoolTimeout | httpx.ConnectTimeout | httpx.ConnectError):
        return False
    if isinstance(exc, tg.TimedOut) or isinstance(cause, httpx.TransportError):
        return True
    # An HTTP answer (5xx) from the server: it did not deliver.
    return False


class TelegramSender:
    """Sends push messages through a PTB Bot (already initialised by the caller)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, rendered: Rendered, *, protect: bool = False, paid: bool = False) -> int:
        """Send one HTML message; returns its message id or raises a jobs.ports.SendError."""
        try:
            message = await self.bot.send_message(
                chat_id,
                rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=to_markup(rendered.keyboard),
                link_preview_options=_NO_PREVIEW,
                protect_content=protect,
                allow_paid_broadcast=paid or None,
            )
        except tg.RetryAfter as exc:
            raise RetryAfter(_retry_seconds(exc), str(exc)) from exc
        except tg.ChatMigrated as exc:
            raise ChatMigrated(int(exc.new_chat_id), str(exc)) from exc
        except tg.Forbidden as exc:
            raise ChatGone(str(exc)) from exc
        except tg.BadRequest as exc:
            text = str(exc)
            if any(marker in text.lower() for marker in _GONE_400):
                raise ChatGone(text) from exc
            raise PermanentError(text) from exc
        except tg.TimedOut as exc:
            raise TransientError(str(exc) or "timed out", ambiguous=_ambiguous(exc)) from exc
        except tg.NetworkError as exc:
            raise TransientError(str(exc), ambiguous=_ambiguous(exc)) from exc
        except tg.TelegramError as exc:  # InvalidToken, Conflict, ...
            raise PermanentError(str(exc)) from exc
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
        except tg.RetryAfter as exc:
            raise RetryAfter(_retry_seconds(exc), str(exc)) from exc
        except tg.BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            raise PermanentError(str(exc)) from exc
        except tg.Forbidden as exc:
            raise ChatGone(str(exc)) from exc
        except tg.NetworkError as exc:
            raise TransientError(str(exc), ambiguous=_ambiguous(exc)) from exc
        except tg.TelegramError as exc:
            raise PermanentError(str(exc)) from exc
