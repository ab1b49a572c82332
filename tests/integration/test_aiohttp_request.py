"""bot/aiohttp_request.py over real HTTP: the same PTB results and exceptions as PTB's own HTTPXRequest.

Every case runs with both request classes against the local Bot API server, so a difference between them fails.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram import error as tg
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest
from bot.common.outbox import TelegramSender, make_push_bot
from bulletin.render import Button, Rendered
from jobs.ports import ChatGone, ChatMigrated, TransientError
from localbotapi import Limits, LocalBotApi

TOKEN = "777001:aiohttp-request"
RAISED = Limits(overall_per_second=2000, paid_per_second=5000, group_per_minute=1000, private_per_second=100)
USER = 4242


def httpx_request() -> BaseRequest:
    return HTTPXRequest(read_timeout=0.5, write_timeout=2.0, connect_timeout=2.0, pool_timeout=2.0)


def aiohttp_request() -> BaseRequest:
    return AiohttpRequest(read_timeout=0.5, write_timeout=2.0, connect_timeout=2.0, pool_timeout=2.0)


REQUESTS = pytest.mark.parametrize("make_request", [httpx_request, aiohttp_request], ids=["httpx", "aiohttp"])


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    api = LocalBotApi(limits=RAISED)
    api.start()
    api.add_bot(TOKEN)
    api.add_user(USER, "用户")
    yield api
    api.stop()


def bot_on(server: LocalBotApi, make_request: Callable[[], BaseRequest]) -> Bot:
    return Bot(TOKEN, base_url=server.api_base_url(), request=make_request())


@REQUESTS
async def test_a_message_and_its_keyboard_arrive(server: LocalBotApi, make_request: Callable[[], BaseRequest]) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("全文 & 更多", callback_data="a:1")]])
    async with bot_on(server, make_request) as bot:
        message = await bot.send_message(USER, "<b>某市简报</b> 第 1 期 & 要目", parse_mode="HTML", reply_markup=markup)
    [stored] = server.messages(USER)
    assert message.message_id == stored.message_id
    assert stored.text == "某市简报 第 1 期 & 要目"
    assert stored.reply_markup == {"inline_keyboard": [[{"text": "全文 & 更多", "callback_data": "a:1"}]]}


@REQUESTS
async def test_a_document_is_uploaded_as_multipart(
    server: LocalBotApi, make_request: Callable[[], BaseRequest]
) -> None:
    async with bot_on(server, make_request) as bot:
        await bot.send_document(USER, b"%PDF-1.4 fake", filename="简报.pdf", caption="附件")
    [stored] = server.messages(USER)
    assert stored.document is not None and stored.document == ("简报.pdf", b"%PDF-1.4 fake")
    assert stored.caption == "附件"


@REQUESTS
async def test_429_is_retry_after(server: LocalBotApi, make_request: Callable[[], BaseRequest]) -> None:
    async with bot_on(server, make_request) as bot:
        server.inject_faults(rate=1.0, kinds=("429",), methods={"sendMessage"}, count=1, retry_after=7)
        with pytest.raises(tg.RetryAfter) as caught:
            await bot.send_message(USER, "x")
    assert "7" in str(caught.value)
    assert server.messages(USER) == []


@REQUESTS
async def test_blocked_user_is_forbidden(server: LocalBotApi, make_request: Callable[[], BaseRequest]) -> None:
    server.block(USER)
    async with bot_on(server, make_request) as bot:
        with pytest.raises(tg.Forbidden, match="blocked by the user"):
            await bot.send_message(USER, "x")


@REQUESTS
async def test_migrated_group_is_chat_migrated(server: LocalBotApi, make_request: Callable[[], BaseRequest]) -> None:
    server.add_group(-777, "群")
    new_id = server.migrate_group(-777)
    async with bot_on(server, make_request) as bot:
        with pytest.raises(tg.ChatMigrated) as caught:
            await bot.send_message(-777, "x")
    assert caught.value.new_chat_id == new_id


@REQUESTS
async def test_502_is_network_error(server: LocalBotApi, make_request: Callable[[], BaseRequest]) -> None:
    async with bot_on(server, make_request) as bot:
        server.inject_faults(rate=1.0, kinds=("502",), methods={"sendMessage"}, count=1)
        with pytest.raises(tg.NetworkError) as caught:
            await bot.send_message(USER, "x")
    assert not isinstance(caught.value, tg.TimedOut)


@REQUESTS
async def test_dropped_connection_is_network_error(
    server: LocalBotApi, make_request: Callable[[], BaseRequest]
) -> None:
    async with bot_on(server, make_request) as bot:
        server.inject_faults(rate=1.0, kinds=("drop",), methods={"sendMessage"}, count=1)
        with pytest.raises(tg.NetworkError) as caught:
            await bot.send_message(USER, "x")
        assert not isinstance(caught.value, tg.TimedOut)
        # The next request gets a fresh connection and goes through.
        await bot.send_message(USER, "again")
    assert server.messages(USER)[-1].text == "again"


@REQUESTS
async def test_hung_answer_is_timed_out(server: LocalBotApi, make_request: Callable[[], BaseRequest]) -> None:
    async with bot_on(server, make_request) as bot:
        server.inject_faults(rate=1.0, kinds=("hang",), methods={"sendMessage"}, count=1, hang_seconds=3.0)
        with pytest.raises(tg.TimedOut):
            await bot.send_message(USER, "x")


@REQUESTS
async def test_refused_connection_is_network_error(make_request: Callable[[], BaseRequest]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    request = make_request()
    await request.initialize()
    try:
        with pytest.raises(tg.NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_request_is_unusable_after_shutdown_and_usable_after_initialize(server: LocalBotApi) -> None:
    request = AiohttpRequest()
    url = f"{server.api_base_url()}{TOKEN}/getMe"
    with pytest.raises(tg.NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await request.post(url)
    await request.initialize()
    await request.shutdown()
    with pytest.raises(tg.NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await request.post(url)
    await request.initialize()
    try:
        me = await request.post(url)
    finally:
        await request.shutdown()
    assert isinstance(me, dict) and me["is_bot"] is True


# ---- the push bot (aiohttp) through TelegramSender: what the push engine sees


RENDERED = Rendered("<b>第 3 期</b> 要目", ((Button("全文", callback_data="a:3"),),))


async def test_push_sender_returns_the_message_id_and_sends_the_keyboard(server: LocalBotApi) -> None:
    async with make_push_bot(TOKEN, server.api_base_url()) as bot:
        message_id = await TelegramSender(bot).send(USER, RENDERED, protect=True, paid=True)
    [stored] = server.messages(USER)
    assert message_id == stored.message_id
    assert stored.text == "第 3 期 要目"
    assert stored.reply_markup == {"inline_keyboard": [[{"text": "全文", "callback_data": "a:3"}]]}
    assert stored.protect_content is True and stored.paid_broadcast is True


async def test_push_sender_maps_errors_for_the_engine(server: LocalBotApi) -> None:
    server.add_group(-901, "群")
    new_id = server.migrate_group(-901)
    server.add_user(5151, "已拉黑")
    server.block(5151)
    async with make_push_bot(TOKEN, server.api_base_url(), read_timeout=0.5) as bot:
        sender = TelegramSender(bot)
        with pytest.raises(ChatMigrated) as migrated:
            await sender.send(-901, RENDERED)
        assert migrated.value.new_chat_id == new_id
        with pytest.raises(ChatGone):
            await sender.send(5151, RENDERED)
        server.inject_faults(rate=1.0, kinds=("drop",), methods={"sendMessage"}, count=1, deliver_before_fault=1.0)
        with pytest.raises(TransientError) as dropped:
            await sender.send(USER, RENDERED)
        # The server processed it before dropping the connection: the engine must note a possible duplicate.
        assert dropped.value.ambiguous is True
        server.inject_faults(rate=1.0, kinds=("502",), methods={"sendMessage"}, count=1)
        with pytest.raises(TransientError) as bad_gateway:
            await sender.send(USER, RENDERED)
        assert bad_gateway.value.ambiguous is False


async def test_push_sender_to_a_closed_port_is_not_ambiguous() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bot = make_push_bot(TOKEN, f"http://127.0.0.1:{port}/bot", connect_timeout=1.0)
    await bot.request.initialize()  # not bot.initialize(): its getMe would fail first
    try:
        with pytest.raises(TransientError) as refused:
            await TelegramSender(bot).send(USER, RENDERED)
    finally:
        await bot.request.shutdown()
    assert refused.value.ambiguous is False
