"""python-telegram-bot 22 talks to the local server as it would to api.telegram.org: it parses our shapes and
maps our errors to its exceptions."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import telegram
from support.localbotapi import TOKEN, UPDATE_ADMIN, UPDATE_GROUP, produce_every_update
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from localbotapi import Limits, LocalBotApi


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with LocalBotApi(limits=Limits(enabled=False), local_mode=True) as s:
        s.add_bot(TOKEN)
        s.add_user(3001, "王芳", language_code="zh-hans")
        s.add_group(-5001, "综合科")
        yield s


def make_bot(server: LocalBotApi, read_timeout: float | None = None) -> telegram.Bot:
    return telegram.Bot(
        TOKEN,
        base_url=server.api_base_url(),
        base_file_url=server.file_base_url(),
        request=HTTPXRequest(read_timeout=read_timeout) if read_timeout is not None else None,
    )


async def test_ptb_bot_round_trip(server: LocalBotApi) -> None:
    async with make_bot(server) as bot:
        me = await bot.get_me()
        assert me.is_bot and me.username == "bulletin_test_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("打开第1篇", callback_data="a:1:1")]])
        sent = await bot.send_message(3001, "<b>工作简报</b> 😀 第1期", parse_mode=ParseMode.HTML, reply_markup=markup)
        assert sent.text == "工作简报 😀 第1期"
        assert sent.text_html == "<b>工作简报</b> 😀 第1期"
        assert sent.reply_markup == markup
        assert sent.chat.type == "private" and sent.from_user is not None and sent.from_user.is_bot

        server.send_text(TOKEN, 3001, 3001, "/latest")
        [update] = await bot.get_updates(timeout=5)
        assert update.message is not None and update.message.text == "/latest"
        assert update.message.from_user is not None and update.message.from_user.language_code == "zh-hans"
        assert update.message.entities[0].type == "bot_command"

        server.press_button(TOKEN, 3001, sent.message_id, "a:1:1", 3001)
        [cb_update] = await bot.get_updates(offset=update.update_id + 1, timeout=5)
        query = cb_update.callback_query
        assert query is not None and query.data == "a:1:1" and query.message is not None
        assert query.message.message_id == sent.message_id
        assert await bot.answer_callback_query(query.id, text="好的") is True
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query.id)

        edited = await bot.edit_message_text("已更新", chat_id=3001, message_id=sent.message_id)
        assert isinstance(edited, telegram.Message) and edited.edit_date is not None
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("已更新", chat_id=3001, message_id=sent.message_id)
        assert await bot.delete_message(3001, sent.message_id) is True

        await bot.set_my_commands([("latest", "最新一期"), ("search", "搜索")])
        await bot.set_my_commands([("latest", "Latest issue")], language_code="en")
        assert [c.command for c in await bot.get_my_commands()] == ["latest", "search"]
        assert server.commands(TOKEN)["en"] == [{"command": "latest", "description": "Latest issue"}]


async def test_ptb_documents_upload_get_file_and_download(server: LocalBotApi) -> None:
    async with make_bot(server) as bot:
        msg = await bot.send_document(3001, b"%PDF-1.4 fake", filename="2023-1.pdf", caption="第1期")
        assert msg.document is not None and msg.document.file_name == "2023-1.pdf"
        assert msg.document.mime_type == "application/pdf" and msg.caption == "第1期"
        f = await bot.get_file(msg.document.file_id)
        assert bytes(await f.download_as_bytearray()) == b"%PDF-1.4 fake"

        user_doc = server.send_document(TOKEN, 3001, 3001, "简报.docx", b"PK\x03\x04docx")
        uf = await bot.get_file(user_doc["document"]["file_id"])
        assert bytes(await uf.download_as_bytearray()) == b"PK\x03\x04docx"


async def test_ptb_exception_mapping(server: LocalBotApi) -> None:
    server.add_user(3002, "Blocked")
    server.block(3002)
    server.add_group(-5002, "旧群")
    new_id = server.migrate_group(-5002)
    async with make_bot(server) as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(3002, "x")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(999, "x")
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(-5002, "x")
        assert migrated.value.new_chat_id == new_id
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag \"br\""):
            await bot.send_message(3001, "a<br>b", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(3001, "长" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(
                3001, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
            )


# PTB warns about its own RetryAfter.retry_after type change whenever one is built; not our concern here.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_retry_after_from_rate_limit() -> None:
    with LocalBotApi(limits=Limits(group_per_minute=2)) as s:
        s.add_bot(TOKEN)
        s.add_group(-6001, "群")
        async with make_bot(s) as bot:
            await bot.send_message(-6001, "1")
            await bot.send_message(-6001, "2")
            with pytest.raises(RetryAfter) as exc:
                await bot.send_message(-6001, "3")
            retry = exc.value.retry_after
            seconds = retry if isinstance(retry, int) else retry.total_seconds()
            assert 1 <= seconds <= 60
        assert s.method_counts()[("sendMessage", 429)] == 1
        assert len(s.messages(-6001)) == 2


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_faults_become_network_errors(server: LocalBotApi) -> None:
    async with make_bot(server, read_timeout=0.5) as bot:
        server.inject_faults(rate=1.0, kinds=("502",), methods={"sendMessage"})
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(3001, "x")
        server.inject_faults(rate=1.0, kinds=("drop",), methods={"sendMessage"}, deliver_before_fault=1.0)
        with pytest.raises(NetworkError):
            await bot.send_message(3001, "delivered, answer lost")
        server.inject_faults(rate=1.0, kinds=("hang",), methods={"sendMessage"}, deliver_before_fault=0.0)
        with pytest.raises(TimedOut):
            await bot.send_message(3001, "never delivered")
        server.inject_faults(rate=1.0, kinds=("429",), methods={"sendMessage"}, retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(3001, "x")
        server.clear_faults()
        await bot.send_message(3001, "fine")
    assert [m.text for m in server.messages(3001)] == ["delivered, answer lost", "fine"]
    assert [(f["kind"], f["delivered"]) for f in server.faults()] == [
        ("502", False),
        ("drop", True),
        ("hang", False),
        ("429", False),
    ]


async def test_ptb_conflict_when_webhook_is_set(server: LocalBotApi) -> None:
    async with make_bot(server) as bot:
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="abc")
        with pytest.raises(Conflict):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url == "http://127.0.0.1:9/hook"
        await bot.delete_webhook()
        assert await bot.get_updates() == ()


async def test_ptb_application_polling_end_to_end(server: LocalBotApi) -> None:
    async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reply with a button."""
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("下一页", callback_data="page:2")]])
        await update.effective_message.reply_html("<b>第1页</b>", reply_markup=keyboard)

    async def page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edit in place."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("第2页")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.api_base_url())
        .base_file_url(server.file_base_url())
        .build()
    )
    app.add_handler(CommandHandler("latest", latest))
    app.add_handler(CallbackQueryHandler(page))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        server.send_text(TOKEN, -5001, 3001, "/latest@bulletin_test_bot")
        assert await server.await_for(lambda: len(server.messages(-5001)) == 1)
        [msg] = server.messages(-5001)
        assert msg.text == "第1页"
        server.press_button(TOKEN, -5001, msg.message_id, "page:2", 3001)
        assert await server.await_for(lambda: server.messages(-5001)[0].text == "第2页")
        assert await server.await_for(lambda: len(server.callback_answers()) == 1)
        await app.updater.stop()
        await app.stop()
    assert server.messages(-5001)[0].edits == ["第2页"]


async def test_ptb_application_webhook_end_to_end(server: LocalBotApi) -> None:
    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer every /ping."""
        assert update.effective_message is not None
        await update.effective_message.reply_text("pong")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = ApplicationBuilder().token(TOKEN).base_url(server.api_base_url()).build()
    app.add_handler(CommandHandler("ping", ping))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="local-secret",
        )
        assert server.webhook_info(TOKEN)["url"] == f"http://127.0.0.1:{port}/hook"
        for _ in range(3):
            server.send_text(TOKEN, 3001, 3001, "/ping")
        assert await server.await_for(lambda: len(server.messages(3001)) == 3)
        assert server.pending_updates(TOKEN) == 0
        await app.updater.stop()
        await app.stop()
    assert [m.text for m in server.messages(3001)] == ["pong"] * 3


async def test_ptb_parses_every_update_and_the_polling_offset_keeps_advancing() -> None:
    """Every update's JSON has what the Bot API marks required (ChatMemberUpdated.from, a banned member's
    until_date, a channel administrator's rights): PTB raises TypeError on a missing one, and then getUpdates
    fails for the whole batch, so the offset never advances."""
    with LocalBotApi(limits=Limits(enabled=False)) as server:
        server.add_bot(TOKEN)
        kinds = produce_every_update(server)
        async with make_bot(server) as bot:
            got: list[Update] = []
            offset = 0
            while batch := await bot.get_updates(offset=offset, timeout=0, limit=3):
                got += batch
                offset = batch[-1].update_id + 1
            assert await bot.get_updates(offset=offset, timeout=0) == ()
        assert server.pending_updates(TOKEN) == 0
    assert [u.effective_message is not None and u.callback_query is None for u in got].count(True) == kinds.count(
        "message") + kinds.count("edited_message") + kinds.count("channel_post")
    members = [u.my_chat_member for u in got if u.my_chat_member is not None]
    assert len(members) == kinds.count("my_chat_member")
    assert all(m.from_user is not None for m in members)
    group_kick, channel_kick = (m for m in members if m.new_chat_member.status == "kicked" and m.chat.type != "private")
    assert group_kick.from_user.id == UPDATE_ADMIN and group_kick.chat.id == UPDATE_GROUP
    assert isinstance(group_kick.new_chat_member, telegram.ChatMemberBanned)
    assert group_kick.new_chat_member.until_date.timestamp() == 0  # until_date 0: banned forever
    assert isinstance(channel_kick.old_chat_member, telegram.ChatMemberAdministrator)
    assert channel_kick.old_chat_member.can_post_messages is True
    left = members[-1]
    assert left.new_chat_member.status == "left" and left.from_user.username == "office_admin"
