"""A second client as a conformance check: aiogram 3 (pydantic models of every Bot API object, strict about
required fields) drives the local server through every method and update the bot uses, so a shape error that
python-telegram-bot tolerates is caught."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    ChatMemberAdministrator,
    ChatMemberBanned,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from support.localbotapi import TOKEN, UPDATE_ADMIN, UPDATE_GROUP, UPDATE_USER, produce_every_update

from localbotapi import Limits, LocalBotApi

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
USER, GROUP = 3201, -5201


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with LocalBotApi(limits=Limits(enabled=False), local_mode=True) as s:
        s.add_bot(TOKEN)
        s.add_user(USER, "李雷")
        s.add_group(GROUP, "综合科")
        yield s


@pytest.fixture
async def bot(server: LocalBotApi) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
    async with Bot(TOKEN, session=session) as b:
        yield b


async def test_every_method_the_bot_uses(server: LocalBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "bulletin_test_bot"
    commands = [BotCommand(command="latest", description="最新一期"), BotCommand(command="search", description="搜索")]
    assert await bot.set_my_commands(commands, language_code="zh")
    got = await bot.get_my_commands(language_code="zh")
    assert [(c.command, c.description) for c in got] == [(c.command, c.description) for c in commands]
    assert await bot.delete_my_commands(language_code="zh")

    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="打开", callback_data="a:1:1")]])
    sent = await bot.send_message(USER, "<b>工作简报</b> 第6期", parse_mode="HTML", reply_markup=markup)
    assert sent.text == "工作简报 第6期" and sent.from_user is not None
    assert sent.reply_markup is not None and sent.reply_markup.model_dump(exclude_none=True) == markup.model_dump(
        exclude_none=True
    )
    edited = await bot.edit_message_text("第6期（已更正）", chat_id=USER, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "第6期（已更正）" and edited.reply_markup is None
    assert await bot.send_chat_action(USER, "typing")

    document = await bot.send_document(USER, BufferedInputFile("正文".encode(), "简报.txt"), caption="附件")
    assert document.document is not None and document.caption == "附件"
    photo = await bot.send_photo(USER, BufferedInputFile(PNG_1X1, "chart.png"))
    assert photo.photo is not None and photo.photo[-1].width == 1
    file = await bot.get_file(document.document.file_id)
    downloaded = await bot.download(file, destination=io.BytesIO())
    assert downloaded is not None and downloaded.read() == "正文".encode()

    chat = await bot.get_chat(GROUP)
    assert chat.title == "综合科" and chat.accepted_gift_types is not None
    server.set_chat_member(GROUP, USER, "administrator")
    member = await bot.get_chat_member(GROUP, USER)
    assert isinstance(member, ChatMemberAdministrator)
    [admin] = await bot.get_chat_administrators(GROUP)
    assert admin.user.id == USER

    assert await bot.delete_message(USER, sent.message_id)

    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook" and info.pending_update_count == 0
    assert await bot.delete_webhook()


async def test_button_presses_are_answered(server: LocalBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="已阅", callback_data="r:1")]])
    sent = await bot.send_message(USER, "要目", reply_markup=markup)
    server.press_button(TOKEN, USER, sent.message_id, "r:1", USER)
    [update] = await bot.get_updates(timeout=5)
    assert update.callback_query is not None and update.callback_query.data == "r:1"
    assert await bot.answer_callback_query(update.callback_query.id, text="已记录")
    assert server.callback_answers()[-1]["text"] == "已记录"


async def test_errors_map_to_aiogram_exceptions(server: LocalBotApi, bot: Bot) -> None:
    server.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-999, "x")
    new_id = server.migrate_group(GROUP)
    with pytest.raises(TelegramMigrateToChat) as migrated:
        await bot.send_message(GROUP, "x")
    assert migrated.value.migrate_to_chat_id == new_id
    server.inject_faults(rate=1.0, kinds=("429",), methods={"editMessageText"}, retry_after=75, count=1)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.edit_message_text("y", chat_id=new_id, message_id=1)
    assert flood.value.retry_after == 75


async def test_aiogram_parses_every_update(server: LocalBotApi, bot: Bot) -> None:
    kinds = produce_every_update(server)
    got = []
    offset = 0
    while batch := await bot.get_updates(offset=offset, timeout=0, limit=4):
        got += batch
        offset = batch[-1].update_id + 1
    assert server.pending_updates(TOKEN) == 0
    assert [u.event_type for u in got] == kinds
    members = [u.my_chat_member for u in got if u.my_chat_member is not None]
    assert all(m.from_user is not None for m in members)
    group_kick = next(m for m in members if m.chat.id == UPDATE_GROUP and m.new_chat_member.status == "kicked")
    assert group_kick.from_user.id == UPDATE_ADMIN and isinstance(group_kick.new_chat_member, ChatMemberBanned)
    blocked = next(m for m in members if m.chat.id == UPDATE_USER)
    assert blocked.from_user.id == UPDATE_USER
    [document] = [u.message.document for u in got if u.message is not None and u.message.document is not None]
    assert document.file_name == "简报.txt"
