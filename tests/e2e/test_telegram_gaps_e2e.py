"""How the bot copes with what Telegram does and the local server now reproduces (issue 13 §1): messages too old
to delete, requests Telegram holds for seconds before it answers, and flood control on edits and button answers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.bot import buttons, free_port
from support.desk import (
    ADMIN_A,
    EN_SUBSCRIBER,
    SUBSCRIBER,
    TOKEN,
    Admin,
    ChatUser,
    desk_config,
    running_desk,
    sample_bytes,
    subscribe,
)

from bot.app import build_application, running_webhook
from config import ConfigError
from storage.db import transaction
from storage.publishing_repo import CorrectionRepository
from storage.push_models import PushState
from storage.push_repo import PushRepository

HOURS = 3600


@pytest.fixture
def server(desk_api: Any) -> Any:
    """The desk's local Bot API server (tests/e2e/conftest.py), without a running bot."""
    return desk_api


def _reached(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as s:
        return len(CorrectionRepository(s).reached(1))


async def _push_sample(
    server: Any, factory: sessionmaker[Session], admin: Admin, *subscribers: ChatUser
) -> None:
    _preview, panel = await admin.upload("b6.txt", sample_bytes())
    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
    assert await server.await_for(lambda: all(len(s.messages()) == 1 for s in subscribers), timeout=15)
    assert await server.await_for(lambda: _reached(factory) == len(subscribers))
    assert await server.await_for(lambda: _push_done(factory))


def _push_done(factory: sessionmaker[Session]) -> bool:
    """The push finished (its last words to admins are out, not to be taken for the answer to the next command)."""
    with transaction(factory) as s:
        return [p.state for p in PushRepository(s).in_state(*PushState)] == [PushState.DONE.value]


async def test_recall_edits_messages_too_old_to_delete_into_a_recall_notice(
    server: Any, factory: sessionmaker[Session]
) -> None:
    subscribe(factory, SUBSCRIBER, EN_SUBSCRIBER)
    async with running_desk(server, factory, desk_config(server)):
        admin = Admin(server, ADMIN_A, ADMIN_A)
        zh, en = ChatUser(server, SUBSCRIBER, SUBSCRIBER), ChatUser(server, EN_SUBSCRIBER, EN_SUBSCRIBER)
        await _push_sample(server, factory, admin, zh, en)
        [zh_contents], [en_contents] = zh.messages(), en.messages()
        server.advance_clock(49 * HOURS)  # Telegram lets a bot delete its messages for 48 hours

        [prompt] = await admin.send("/recall 58")
        await admin.press_and_wait(prompt, "确认", lambda: "完成" in admin.current(prompt).text)
        report = admin.current(prompt).text
        assert "成功 0 · 失败 0 · 不可达 0" in report
        assert "其中 2 条消息已超过 48 小时，无法删除，已改为撤回通知。" in report

        # the messages stay, but read as recalled, without the contents' buttons
        zh_now, en_now = zh.message(zh_contents.message_id), en.message(en_contents.message_id)
        assert not zh_now.deleted and not en_now.deleted
        assert zh_now.text == "本期简报已撤回：2024年第6期（总第58期）" and zh_now.reply_markup is None
        assert en_now.text == "This bulletin was recalled: 2024 No. 6 (No. 58 overall)"
        # a replaced message counts as recalled: nothing is left to recall or to refresh
        [nothing] = await admin.send("/recall 58")
        assert "还没有送达任何会话" in nothing.text

    with transaction(factory) as s:
        results = {r.chat_id: (r.state, r.reason) for r in CorrectionRepository(s).results(1)}
    assert results == {
        SUBSCRIBER: ("replaced", "too old to delete: replaced by a recall notice"),
        EN_SUBSCRIBER: ("replaced", "too old to delete: replaced by a recall notice"),
    }


async def test_a_reply_telegram_holds_for_seconds_arrives_once(server: Any, factory: sessionmaker[Session]) -> None:
    """Telegram holds a flood-waited request up to about 8 s and then succeeds: the reply is neither lost (read
    timeout, then the error message) nor sent twice."""
    async with running_desk(server, factory, desk_config(server)):
        user = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
        [first] = await user.send("/start")
        server.inject_faults(rate=1.0, kinds=("slow",), methods={"sendMessage"}, count=1, hang_seconds=7.0)
        server.send_text(TOKEN, SUBSCRIBER, SUBSCRIBER, "/start")
        assert await server.await_for(lambda: len(user.messages()) >= 2, timeout=20)
        assert [f["kind"] for f in server.faults()] == ["slow"]
        assert not await server.await_for(lambda: len(user.messages()) > 2, timeout=2)
        assert [m.text for m in user.messages()] == [first.text, first.text]


async def test_flood_control_on_button_answers_and_edits_is_waited_out_or_skipped(
    server: Any, factory: sessionmaker[Session]
) -> None:
    """A 429 on answerCallbackQuery (even with retry_after over a minute) does not stop the press from taking
    effect; a 429 on the edit that follows is waited out."""
    subscribe(factory, SUBSCRIBER)
    async with running_desk(server, factory, desk_config(server)):
        admin = Admin(server, ADMIN_A, ADMIN_A)
        _preview, panel = await admin.upload("b6.txt", sample_bytes())
        server.inject_faults(rate=1.0, kinds=("429",), methods={"answerCallbackQuery"}, count=1, retry_after=75)
        data = next(b["callback_data"] for b in buttons(admin.current(panel)) if b["text"] == "立即发布")
        server.press_button(TOKEN, ADMIN_A, panel.message_id, data, ADMIN_A)
        assert await server.await_for(lambda: "已发布" in admin.current(panel).text, timeout=15)
        assert [(f["method"], f["kind"]) for f in server.faults()] == [("answerCallbackQuery", "429")]
        subscriber = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
        assert await server.await_for(lambda: len(subscriber.messages()) == 1, timeout=15)
        assert await server.await_for(lambda: _reached(factory) == 1)
        assert await server.await_for(lambda: _push_done(factory))

        server.inject_faults(rate=1.0, kinds=("429",), methods={"editMessageText"}, count=1, retry_after=2)
        [prompt] = await admin.send("/recall 58")
        data = next(b["callback_data"] for b in buttons(prompt) if b["text"] == "取消")
        server.press_button(TOKEN, ADMIN_A, prompt.message_id, data, ADMIN_A)
        assert await server.await_for(lambda: admin.current(prompt).text != prompt.text, timeout=15)
        assert [(f["method"], f["kind"]) for f in server.faults()][-1] == ("editMessageText", "429")
        assert ("editMessageText", 200) in server.method_counts()


async def test_a_webhook_url_the_bot_api_server_refuses_is_named_at_start(
    server: Any, factory: sessionmaker[Session]
) -> None:
    """A server without --local refuses plain http as Telegram does; `run` stops with one line naming the key."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    app = build_application(desk_config(server), session_factory=factory, extensions=[])
    with pytest.raises(ConfigError) as refused:
        async with running_webhook(
            app, listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token="s3cret"
        ):
            pass
    assert str(refused.value).lower() == (
        f"telegram.webhook_url: the bot api server refused '{url}': bad webhook: an https url must be provided for "
        "webhook"
    )
    assert server.webhook_info(TOKEN)["url"] == ""
