"""Telegram's error answers map to one outcome everywhere: the push, the corrections and the replies.

The exceptions are built the way PTB builds them from an error answer (the description as the message; 403 ->
Forbidden, 400 -> BadRequest, parameters.retry_after -> RetryAfter), with Telegram's exact descriptions.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest
from telegram import error as tg

from bot.common.chat import flood_safe
from bot.common.errors import outcome, retry_seconds
from bot.common.outbox import TelegramCorrector, TelegramSender
from bulletin.render import Rendered
from jobs.ports import ChatGone, ChatMigrated, NotDeletable, PermanentError, RetryAfter, SendError, TransientError

GONE_403 = [
    "Forbidden: bot was blocked by the user",
    "Forbidden: user is deactivated",
    "Forbidden: bot can't initiate conversation with a user",
    "Forbidden: bot was kicked from the group chat",
    "Forbidden: bot was kicked from the supergroup chat",
    "Forbidden: bot was kicked from the channel chat",
    "Forbidden: bot is not a member of the channel chat",
    "Forbidden: bot is not a member of the supergroup chat",
    "Forbidden: bot is not a member of the group chat",
    "Forbidden: the group chat was deleted",
]
GONE_400 = [
    "Bad Request: chat not found",
    "Bad Request: not enough rights to send text messages to the chat",
    "Bad Request: not enough rights to send documents to the chat",
    "Bad Request: need administrator rights in the channel chat",
    "Bad Request: have no write access to the chat",
    "Bad Request: PEER_ID_INVALID",
    "Bad Request: user not found",
]
PERMANENT_400 = [
    "Bad Request: message is too long",
    "Bad Request: message caption is too long",
    'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3',
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
]


@pytest.mark.parametrize("description", GONE_403)
def test_every_forbidden_answer_is_a_gone_chat(description: str) -> None:
    mapped = outcome(tg.Forbidden(description))
    assert type(mapped) is ChatGone
    assert mapped.reason == description


@pytest.mark.parametrize("description", GONE_400)
def test_bad_requests_naming_an_unreachable_chat_are_gone(description: str) -> None:
    mapped = outcome(tg.BadRequest(description))
    assert type(mapped) is ChatGone
    # PTB strips the "Bad Request: " prefix and capitalizes; the ledger keeps what PTB says.
    assert mapped.reason == description.removeprefix("Bad Request: ").capitalize()


@pytest.mark.parametrize("description", PERMANENT_400)
def test_other_bad_requests_are_permanent(description: str) -> None:
    assert type(outcome(tg.BadRequest(description))) is PermanentError


@pytest.mark.parametrize(
    "description", ["Bad Request: message can't be deleted for everyone", "Bad Request: message can't be deleted"]
)
def test_a_message_too_old_to_delete_is_not_deletable_not_a_gone_chat(description: str) -> None:
    mapped = outcome(tg.BadRequest(description))
    assert type(mapped) is NotDeletable and isinstance(mapped, PermanentError)


def test_flood_control_carries_its_wait_in_seconds() -> None:
    mapped = outcome(tg.RetryAfter(7))
    assert type(mapped) is RetryAfter
    assert mapped.seconds == 7.0
    assert mapped.reason == "Flood control exceeded. Retry in 7 seconds"


def test_retry_seconds_reads_both_forms_without_a_deprecation_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB itself warns while building a RetryAfter without the PTB_TIMEDELTA opt-in; reading it must not.
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        as_int = tg.RetryAfter(3)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    as_timedelta = tg.RetryAfter(dt.timedelta(seconds=2.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert retry_seconds(as_timedelta) == 2.5
        monkeypatch.delenv("PTB_TIMEDELTA")
        assert retry_seconds(as_int) == 3.0


def test_a_migrated_group_names_its_new_chat() -> None:
    mapped = outcome(tg.ChatMigrated(-1001234567890))
    assert type(mapped) is ChatMigrated
    assert mapped.new_chat_id == -1001234567890


def test_network_trouble_is_transient_and_a_bad_token_permanent() -> None:
    assert type(outcome(tg.TimedOut())) is TransientError
    assert outcome(tg.TimedOut()).reason == "Timed out"
    assert type(outcome(tg.NetworkError("Bad Gateway"))) is TransientError
    assert type(outcome(tg.InvalidToken("Unauthorized"))) is PermanentError
    conflict = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    assert type(outcome(tg.Conflict(conflict))) is PermanentError


class _RefusingBot:
    """A stand-in for PTB's Bot whose every call gets Telegram's 'not enough rights' answer."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def _refuse(self, name: str) -> Any:
        self.calls.append(name)
        raise tg.BadRequest("Bad Request: not enough rights to send text messages to the chat")

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        return await self._refuse("send_message")

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Any:
        return await self._refuse("edit_message_text")

    async def delete_message(self, *args: Any, **kwargs: Any) -> Any:
        return await self._refuse("delete_message")


async def _raised(call: Any) -> SendError:
    with pytest.raises(SendError) as info:
        await call
    return info.value


async def test_not_enough_rights_is_gone_for_the_push_and_for_corrections() -> None:
    bot = _RefusingBot()
    sender = TelegramSender(bot)  # type: ignore[arg-type]
    corrector = TelegramCorrector(bot)  # type: ignore[arg-type]
    message = Rendered("<b>x</b>")
    outcomes = [
        await _raised(sender.send(-100123, message)),
        await _raised(corrector.edit(-100123, 5, message)),
        await _raised(corrector.delete(-100123, 5)),
        await _raised(corrector.reply(-100123, 5, message, protect=False)),
    ]
    assert [type(o) for o in outcomes] == [ChatGone] * 4
    assert {o.reason for o in outcomes} == {"Not enough rights to send text messages to the chat"}
    assert bot.calls == ["send_message", "edit_message_text", "delete_message", "send_message"]


async def test_flood_safe_waits_out_a_retry_after_over_a_minute() -> None:
    """Edits and sends may be flood-limited for more than a minute: the reply waits, it is not dropped."""
    waits: list[float] = []
    answers = iter([tg.RetryAfter(75), tg.RetryAfter(3), "sent"])

    async def call() -> str:
        item = next(answers)
        if isinstance(item, Exception):
            raise item
        return item

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    assert await flood_safe(call, sleep=sleep) == "sent"
    assert [round(w) for w in waits] == [75, 3]


async def test_flood_safe_gives_up_after_five_429s_in_a_row() -> None:
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        raise tg.RetryAfter(1)

    async def sleep(seconds: float) -> None:
        return None

    with pytest.raises(tg.RetryAfter):
        await flood_safe(call, sleep=sleep)
    assert calls == 5
