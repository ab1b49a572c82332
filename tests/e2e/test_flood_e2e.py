"""End to end over real HTTP against the local Bot API server: a user who floods the bot holds up nobody else,
and the per-user rate limit counts every kind of update (text, document, URL, button press) before any handler
runs: the first one over the limit gets the wait message, the rest get nothing at all (no answer, refusal or
audit entry) until the window frees; admins are exempt."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.access import ADMIN, ADMIN_ONLY, access_config, access_server, audit, polling_bot
from support.bot import OTHER_USER, TOKEN, ZH_USER, ChatUser, labels, seed_archive

from bot.app import build_application, running_polling
from localbotapi import Limits

WAIT = re.compile(r"您的操作过于频繁，请 ([0-9]+) 秒后再试。")
POINTER = "我只认识命令。发送 /help 查看全部命令。"


@pytest.fixture
def server() -> Iterator[Any]:
    with access_server() as s:
        yield s


async def test_one_users_flood_does_not_hold_up_another_users_help(
    server: Any, factory: sessionmaker[Session]
) -> None:
    # Telegram's 1 message a second per private chat makes each flood reply wait; with 4 update slots, a flood that
    # took a slot per queued update kept /help waiting for about 8 s.
    server.set_limits(Limits(enabled=True))
    app = build_application(access_config(server, rate=0), session_factory=factory, max_concurrent_updates=4)
    flooder, other = ChatUser(server, ZH_USER, ZH_USER), ChatUser(server, OTHER_USER, OTHER_USER)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        for n in range(10):
            server.send_text(TOKEN, ZH_USER, ZH_USER, f"消息 {n}")
        assert await server.await_for(lambda: len(flooder.messages()) >= 1)
        started = time.monotonic()
        server.send_text(TOKEN, OTHER_USER, OTHER_USER, "/help")
        assert await server.await_for(lambda: len(other.messages()) >= 1, timeout=3.0), (
            f"/help not answered while the flood ran ({len(flooder.messages())} flood replies so far)"
        )
        assert "/subscribe" in other.messages()[0].text
        assert time.monotonic() - started < 3.0
        # The flood is still answered in full, in order, at Telegram's pace.
        assert await server.await_for(lambda: len(flooder.messages()) == 10, timeout=20.0)
    assert {m.text for m in flooder.messages()} == {POINTER}


async def assert_silent(server: Any, user: ChatUser, factory: sessionmaker[Session], *, messages: int,
                        answers: int, audited: int) -> None:
    """Nothing more reaches USER's chat, no button press is answered and nothing is audited: the bot has fetched
    every update, and another half second brings nothing."""
    assert await server.await_for(lambda: server.pending_updates(TOKEN) == 0)
    await asyncio.sleep(0.5)
    assert [m.text for m in user.new_since(messages)] == []
    assert len(server.callback_answers()) == answers
    assert len(audit(factory)) == audited


Act = Callable[[Any, ChatUser], Awaitable[None]]


async def type_text(server: Any, user: ChatUser) -> None:
    server.send_text(TOKEN, user.chat_id, user.user_id, "你好")


async def send_url(server: Any, user: ChatUser) -> None:
    server.send_text(TOKEN, user.chat_id, user.user_id, "https://example.org/bulletin.pdf")


async def send_document(server: Any, user: ChatUser) -> None:
    server.send_document(TOKEN, user.chat_id, user.user_id, "简报.docx", b"not really a docx")


KINDS: dict[str, tuple[Act, str]] = {
    "text": (type_text, POINTER),
    "url": (send_url, ADMIN_ONLY),
    "document": (send_document, ADMIN_ONLY),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_rate_limit_counts_every_message_kind(kind: str, server: Any, factory: sessionmaker[Session]) -> None:
    act, answer = KINDS[kind]
    async with polling_bot(access_config(server, rate=3), factory):
        zh = ChatUser(server, ZH_USER, ZH_USER)
        for n in range(3):
            await act(server, zh)
            assert await server.await_for(lambda n=n: len(zh.messages()) == n + 1)
            assert zh.messages()[-1].text == answer
        audited = len(audit(factory))
        await act(server, zh)
        assert await server.await_for(lambda: len(zh.messages()) == 4)
        m = WAIT.fullmatch(zh.messages()[-1].text)
        assert m and 1 <= int(m[1]) <= 60, zh.messages()[-1].text
        for _ in range(3):
            await act(server, zh)
        server.send_text(TOKEN, ZH_USER, ZH_USER, "/help")
        await assert_silent(server, zh, factory, messages=4, answers=len(server.callback_answers()), audited=audited)
        # Admins are exempt, whatever they send.
        admin = ChatUser(server, ADMIN, ADMIN)
        for _ in range(5):
            [reply] = await admin.send("/help")
            assert "/subscribe" in reply.text


async def test_rate_limit_counts_button_presses(server: Any, factory: sessionmaker[Session]) -> None:
    seed_archive(factory)
    async with polling_bot(access_config(server, rate=3), factory):
        zh = ChatUser(server, ZH_USER, ZH_USER)
        [issues] = await zh.send("/issues")
        page = labels(issues)[-2]
        assert page == "1/2"
        await zh.press(issues, page)
        await zh.press(issues, page)
        answers = len(server.callback_answers())
        data = next(b["callback_data"] for row in issues.reply_markup["inline_keyboard"] for b in row
                    if b["text"] == page)
        server.press_button(TOKEN, ZH_USER, issues.message_id, data, ZH_USER)
        assert await server.await_for(lambda: len(zh.messages()) == 2)
        assert WAIT.fullmatch(zh.messages()[-1].text), zh.messages()[-1].text
        # Over the limit: no press is answered, not even the contents button.
        contents = next(b["callback_data"] for row in issues.reply_markup["inline_keyboard"] for b in row)
        server.press_button(TOKEN, ZH_USER, issues.message_id, contents, ZH_USER)
        server.press_button(TOKEN, ZH_USER, issues.message_id, data, ZH_USER)
        await assert_silent(server, zh, factory, messages=2, answers=answers, audited=len(audit(factory)))
