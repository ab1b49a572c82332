"""Telegram errors mapped in one place: what PTB raises -> the outcome jobs/ understands (jobs.ports).

The push (TelegramSender), the corrections (TelegramCorrector) and the reply helpers all go through here, so a
chat that is gone is gone for all of them, and flood control's wait is read the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import warnings

import aiohttp
import httpx
from telegram import error as tg
from telegram.warnings import PTBDeprecationWarning

from jobs.ports import (
    ChatGone,
    ChatMigrated,
    NotDeletable,
    PermanentError,
    RetryAfter,
    SendError,
    TransientError,
)

# 400 descriptions that mean the chat is unreachable for good (PTB strips "Bad Request: " and lowercases after
# the first letter, so they are matched case-insensitively). Every 403 is gone as well.
GONE_400: tuple[str, ...] = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "bot was kicked",
    "not enough rights",  # a member without the right to send (TDLib: "Not enough rights to send … to the chat")
    "need administrator rights",  # a channel that demoted the bot (DialogManager::can_send_message_to_dialog)
    "have no write access",
)
# 400 descriptions of a message too old to delete (48 hours: MessagesManager::can_revoke_message; supergroups and
# channels: MESSAGE_DELETE_FORBIDDEN). The chat is fine; the message stays.
NOT_DELETABLE = "can't be deleted"


def retry_seconds(exc: tg.RetryAfter) -> float:
    """Flood control's wait in seconds, whether PTB gives a timedelta (PTB_TIMEDELTA opt-in) or an int."""
    with warnings.catch_warnings():
        # Without the PTB_TIMEDELTA opt-in PTB 22 warns that the int form goes away; both forms are read here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def is_gone(description: str) -> bool:
    """True when a 400 DESCRIPTION says the chat can never be reached again."""
    text = description.lower()
    return any(marker in text for marker in GONE_400)


def is_not_modified(exc: tg.TelegramError) -> bool:
    """True for the 400 an edit gets when nothing changed (success for us)."""
    return isinstance(exc, tg.BadRequest) and "not modified" in str(exc).lower()


def ambiguous(exc: tg.NetworkError) -> bool:
    """Could the request have reached Telegram? (read timeout, connection dropped after writing)."""
    cause = exc.__cause__
    # Never sent: no connection from the pool, or none could be made (httpx for the Application's bot,
    # aiohttp for the push bot; ClientConnectorError is checked before its base ClientOSError).
    if isinstance(cause, httpx.PoolTimeout | httpx.ConnectTimeout | httpx.ConnectError):
        return False
    if isinstance(cause, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
        return False
    if isinstance(exc, tg.TimedOut) or isinstance(cause, httpx.TransportError | aiohttp.ClientError):
        return True
    # An HTTP answer (5xx) from the server: it did not deliver.
    return False


def outcome(exc: tg.TelegramError) -> SendError:
    """The jobs.ports error for a PTB error (the one exception -> outcome mapping)."""
    text = str(exc)
    if isinstance(exc, tg.RetryAfter):
        return RetryAfter(retry_seconds(exc), text)
    if isinstance(exc, tg.ChatMigrated):
        return ChatMigrated(int(exc.new_chat_id), text)
    if isinstance(exc, tg.Forbidden):
        return ChatGone(text)
    if isinstance(exc, tg.BadRequest):  # before NetworkError: BadRequest subclasses it
        if is_gone(text):
            return ChatGone(text)
        return NotDeletable(text) if NOT_DELETABLE in text.lower() else PermanentError(text)
    if isinstance(exc, tg.TimedOut):
        return TransientError(text or "timed out", ambiguous=ambiguous(exc))
    if isinstance(exc, tg.NetworkError):
        return TransientError(text or "network error", ambiguous=ambiguous(exc))
    return PermanentError(text)  # InvalidToken, Conflict, ...
