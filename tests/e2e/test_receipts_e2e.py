"""Receipts end to end over real HTTP: the real Application polling the local Bot API server, a real push with the
已阅 button, presses and article opens by users, reminders, and the admins' /stats, /export and /coverage."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue
from support.push import push_now

from bot.app import build_application, running_polling, running_webhook
from bot.common.outbox import TelegramSender, make_push_bot
from bulletin_bot.cmd_push import push_settings
from config import AccessConfig, Config, PushConfig, TelegramConfig
from jobs.push import publish
from jobs.reminders import Reminders, ReminderSettings
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork
from localbotapi import Limits, LocalBotApi
from storage.access_models import AuditRow
from storage.archive import IssueRepository
from storage.db import transaction
from storage.receipts_models import AckRow, ReminderRow
from storage.receipts_repo import ReceiptRepository
from storage.subscribers import SubscriberRepository
from storage.types import utcnow

TOKEN = "4343:receipts-test-token"
ADMIN = 701
READER = 702  # 办公室, presses 已阅 and opens an article
SILENT = 703  # 办公室, English, does nothing until reminded
BLOCKED = 704  # 综合科, blocked the bot: not reached
MEMBER = 705  # presses 已阅 in the group
OUTSIDER = 706  # not an admin, not subscribed
GROUP = -3001  # 综合科
DEPARTMENTS = ("办公室", "综合科", "财务科")  # 财务科: nobody subscribed
ACK_ZH = "✅ 已阅"
ACK_EN = "✅ Read"
ACKED_ZH = "✅ 已阅（已记录）"
SECRET = "receipts-Secret"


def config(server: LocalBotApi) -> Config:
    return Config(
        telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url(), poll_timeout=1),
        access=AccessConfig(admins=(ADMIN,), departments=DEPARTMENTS),
        push=PushConfig(remind_after=dt.timedelta(hours=24)),
    )


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with LocalBotApi(limits=Limits(enabled=False), local_mode=True) as api:
        api.add_bot(TOKEN, username="receipts_test_bot")
        api.add_user(ADMIN, "王主任", language_code="zh-hans")
        api.add_user(READER, "张三", language_code="zh-hans")
        api.add_user(SILENT, "Alice", language_code="en-US")
        api.add_user(BLOCKED, "李四", language_code="zh-hans")
        api.add_user(MEMBER, "赵六", language_code="zh-hans")
        api.add_user(OUTSIDER, "钱七", language_code="zh-hans")
        api.add_group(GROUP, "综合科工作群")
        yield api


def subscribe(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        for uid, name, code, department in (
            (READER, "张三", "zh-hans", "办公室"),
            (SILENT, "Alice", "en-US", "办公室"),
            (BLOCKED, "李四", "zh-hans", "综合科"),
        ):
            subs.subscribe(uid, chat_type="private", user_id=uid, display_name=name, language_code=code,
                           department=department)
        subs.subscribe(GROUP, chat_type="group", user_id=MEMBER, display_name="综合科工作群", language_code=None,
                       department="综合科")


def store(factory: sessionmaker[Session], number: int) -> int:
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(make_issue(number, total=100 + number))
        return stored.id


class Chat:
    """One user in one chat: types, presses buttons, and waits for the bot's answer."""

    def __init__(self, server: LocalBotApi, chat_id: int, user_id: int) -> None:
        self.server, self.chat_id, self.user_id = server, chat_id, user_id

    def messages(self) -> list[Any]:
        return list(self.server.messages(self.chat_id))

    async def send(self, text: str, expect: int = 1) -> list[Any]:
        before = len(self.messages())
        self.server.send_text(TOKEN, self.chat_id, self.user_id, text)
        assert await self.server.await_for(lambda: len(self.messages()) >= before + expect), (
            f"no reply to {text!r}"
        )
        return self.messages()[before:]

    async def press(self, message: Any, label: str, expect: int = 0) -> str:
        """Press LABEL under MESSAGE; the callback answer's text."""
        data = next(b["callback_data"] for row in message.reply_markup["inline_keyboard"] for b in row
                    if b["text"] == label)
        before_msgs = len(self.messages())
        before = len(self.server.callback_answers())
        self.server.press_button(TOKEN, self.chat_id, message.message_id, data, self.user_id)
        assert await self.server.await_for(lambda: len(self.server.callback_answers()) > before)
        if expect:
            assert await self.server.await_for(lambda: len(self.messages()) >= before_msgs + expect)
        text: str = self.server.callback_answers()[before].get("text") or ""
        return text


def labels(message: Any) -> list[str]:
    return [b["text"] for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]


@dataclasses.dataclass
class World:
    server: LocalBotApi
    factory: sessionmaker[Session]
    app: Any
    config: Config
    issue_id: int

    def chat(self, chat_id: int, user_id: int | None = None) -> Chat:
        return Chat(self.server, chat_id, user_id if user_id is not None else chat_id)

    def contents(self, chat_id: int) -> Any:
        """The pushed contents message in CHAT_ID (the one with the 已阅 button)."""
        return next(m for m in self.server.messages(chat_id) if {ACK_ZH, ACK_EN, ACKED_ZH} & set(labels(m)))

    async def push(self, issue_id: int) -> None:
        await push_now(self.factory, self.app.bot, self.config, issue_id, progress_interval=0.2)

    def reminders(self, hours_later: float) -> Reminders:
        later = utcnow() + dt.timedelta(hours=hours_later)
        return Reminders(
            self.factory, TelegramSender(self.app.bot), ReminderSettings(remind_after=dt.timedelta(hours=24),
                                                                           send_interval=0.0),
            clock=lambda: later,
        )


@pytest.fixture
async def world(server: LocalBotApi, factory: sessionmaker[Session]) -> AsyncIterator[World]:
    subscribe(factory)
    issue_id = store(factory, 7)
    cfg = config(server)
    app = build_application(cfg, session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        server.block(BLOCKED)
        w = World(server, factory, app, cfg, issue_id)
        await w.push(issue_id)
        yield w


def audit_count(factory: sessionmaker[Session], action: str) -> int:
    with transaction(factory) as s:
        return int(s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == action)) or 0)


# ---------------------------------------------------------------------------------------------- tests


async def test_the_ack_button_shows_it_was_pressed_on_the_readers_own_message(world: World) -> None:
    reader = world.chat(READER)
    contents = world.contents(READER)
    assert await reader.press(contents, ACK_ZH) == "已确认阅读，谢谢！"
    assert await world.server.await_for(lambda: ACKED_ZH in labels(world.contents(READER)))
    pressed = world.contents(READER)
    assert labels(pressed) == [lab if lab != ACK_ZH else ACKED_ZH for lab in labels(contents)]
    assert pressed.text == contents.text  # only the button changed
    # Pressing the relabelled button again is answered, and nothing else changes.
    assert await reader.press(pressed, ACKED_ZH) == "您已确认阅读过本期。"
    assert labels(world.contents(READER)) == labels(pressed)
    # Others' copies keep their button: the English reader's, and the group's (shared by all its members).
    assert ACK_EN in labels(world.contents(SILENT))
    member = world.chat(GROUP, MEMBER)
    assert await member.press(world.contents(GROUP), ACK_ZH) == "已确认阅读，谢谢！"
    assert ACK_ZH in labels(world.contents(GROUP))


async def test_the_push_carries_the_ack_button_and_presses_count_once_per_person(world: World) -> None:
    reader = world.chat(READER)
    contents = world.contents(READER)
    assert contents.text.startswith("某市文旅工作简报\n2024年第7期（总第107期）")
    assert ACK_ZH in labels(contents)
    assert ACK_EN in labels(world.contents(SILENT))  # in the subscriber's language

    assert await reader.press(contents, ACK_ZH) == "已确认阅读，谢谢！"
    assert await reader.press(contents, ACK_ZH) == "您已确认阅读过本期。"
    # in a group every member's press is recorded; the group counts once as a chat
    member = world.chat(GROUP, MEMBER)
    assert await member.press(world.contents(GROUP), ACK_ZH) == "已确认阅读，谢谢！"

    admin = world.chat(ADMIN)
    [stats] = await admin.send("/stats 107")
    assert stats.text.split("\n") == [
        "回执统计：某市文旅工作简报 2024年第7期（总第107期）",
        "办公室：送达 2，已阅 1，打开文章 0，未送达 0",
        "综合科：送达 1，已阅 1，打开文章 0，未送达 1",
        "财务科：送达 0，已阅 0，打开文章 0，未送达 0",
        "合计：送达 3，已阅 2，打开文章 0，未送达 1",
    ]


async def test_article_opens_are_counted_per_department(world: World) -> None:
    reader = world.chat(READER)
    contents = world.contents(READER)
    await reader.press(contents, "1. 第7期工作动态", expect=1)
    assert reader.messages()[-1].text.startswith("第7期工作动态")
    await reader.press(contents, "2. 景区安全检查", expect=1)
    await reader.press(contents, "2. 景区安全检查", expect=1)  # the same article again: still one article opened
    await reader.send("/article 107 1")  # by command too
    # someone who is not a subscriber reading the archive is not a receipt
    await world.chat(OUTSIDER).send("/article 107 1")

    [stats] = await world.chat(ADMIN).send("/stats 2024-7")
    assert "办公室：送达 2，已阅 0，打开文章 2，未送达 0" in stats.text.split("\n")
    assert stats.text.split("\n")[-1] == "合计：送达 3，已阅 0，打开文章 2，未送达 1"


async def test_export_sends_the_ledger_as_csv(world: World) -> None:
    reader = world.chat(READER)
    await reader.press(world.contents(READER), ACK_ZH)
    await reader.press(world.contents(READER), "2. 景区安全检查", expect=1)

    [document] = await world.chat(ADMIN).send("/export 107")
    assert document.method == "sendDocument"
    assert document.caption == "某市文旅工作简报 2024年第7期（总第107期）推送台账（共 4 个会话）"
    filename, data = document.document
    assert filename == "ledger-2024-7.csv"
    assert data.startswith("\ufeff".encode())  # Excel reads the Chinese names only with the BOM
    rows = {int(r["chat_id"]): r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    assert set(rows) == {READER, SILENT, BLOCKED, GROUP}
    assert rows[READER]["name"] == "张三" and rows[READER]["department"] == "办公室"
    assert rows[READER]["delivery"] == "sent" and rows[READER]["acknowledged_at_utc"] != ""
    assert rows[READER]["acknowledged_by"] == "1" and rows[READER]["articles_opened"] == "2"
    assert rows[SILENT]["delivery"] == "sent" and rows[SILENT]["acknowledged_at_utc"] == ""
    assert rows[BLOCKED]["delivery"] == "skipped" and "blocked" in rows[BLOCKED]["failure_reason"]
    assert rows[GROUP]["chat_type"] == "group" and rows[GROUP]["department"] == "综合科"
    assert audit_count(world.factory, "export") == 1

    # the ledger names people: not in a group
    [refusal] = await world.chat(GROUP, ADMIN).send("/export 107")
    assert "私聊" in refusal.text


async def test_admin_commands_refuse_non_admins_and_explain_bad_input(world: World) -> None:
    outsider = world.chat(OUTSIDER)
    for command in ("/stats 107", "/stats", "/export 107", "/coverage"):
        [answer] = await outsider.send(command)
        assert answer.text == "抱歉，此功能仅限管理员使用。"
        assert answer.document is None and answer.photo is None
    reader = world.chat(READER)  # a subscriber is no admin either
    [answer] = await reader.send("/export 107")
    assert answer.text == "抱歉，此功能仅限管理员使用。"
    assert audit_count(world.factory, "export") == 0

    admin = world.chat(ADMIN)
    [usage] = await admin.send("/stats 1 2")
    assert usage.text.startswith("用法：/stats")
    [usage] = await admin.send("/export")
    assert usage.text.startswith("用法：/export")
    [unknown] = await admin.send("/stats 999")
    assert "没有找到第 999 期" in unknown.text
    never_pushed = store(world.factory, 8)
    assert never_pushed
    [not_pushed] = await admin.send("/export 108")
    assert not_pushed.text == "某市文旅工作简报 2024年第8期（总第108期）还没有推送过，没有回执记录。"


async def test_coverage_names_departments_without_an_active_subscriber(world: World) -> None:
    admin = world.chat(ADMIN)
    [coverage] = await admin.send("/coverage")
    assert coverage.text.split("\n") == [
        "以下 1 个部门还没有订阅者（共 3 个部门）：",
        "• 财务科",
        "已覆盖：办公室（2），综合科（1）",  # the blocked chat was deactivated by the push
    ]
    # the last subscriber of 综合科 that is still reachable leaves; the blocked one was deactivated by the push
    world.server.set_chat_member(GROUP, MEMBER, "administrator")  # only a group's admins may unsubscribe it
    [left] = await world.chat(GROUP, MEMBER).send("/unsubscribe")
    assert left.text == "已取消订阅。发送 /subscribe 可随时重新订阅。"
    [coverage] = await admin.send("/coverage")
    assert coverage.text.split("\n")[:3] == ["以下 2 个部门还没有订阅者（共 3 个部门）：", "• 综合科", "• 财务科"]
    assert audit_count(world.factory, "coverage") == 2


async def test_one_reminder_goes_to_those_who_have_not_acknowledged(world: World) -> None:
    reader = world.chat(READER)
    await reader.press(world.contents(READER), ACK_ZH)
    silent = world.chat(SILENT)
    before = {c: len(world.server.messages(c)) for c in (READER, SILENT, GROUP, BLOCKED)}

    early = await world.reminders(hours_later=1).tick()
    assert (early.sent, early.failed) == (0, 0)

    report = await world.reminders(hours_later=25).tick()
    # SILENT and the group (nobody pressed there) are reminded; READER acknowledged; BLOCKED was never reached
    assert (report.sent, report.failed) == (2, 0)
    assert len(world.server.messages(READER)) == before[READER]
    assert len(world.server.messages(BLOCKED)) == before[BLOCKED]
    [reminder] = silent.messages()[before[SILENT]:]
    assert reminder.text == (
        "Reminder: 某市文旅工作简报 2024 No. 7 (No. 107 overall) was sent to you and is not marked as read yet. "
        "Please press “✅ Read” once you have read it."
    )
    assert labels(reminder) == [ACK_EN, "Contents"]
    [group_reminder] = world.server.messages(GROUP)[before[GROUP]:]
    assert (group_reminder.text or "").startswith("提醒：某市文旅工作简报2024年第7期（总第107期）已发送给您")

    # only one: a later check, or a second process, sends nothing more
    again = await world.reminders(hours_later=30).tick()
    assert (again.sent, again.failed) == (0, 0)
    assert len(silent.messages()) == before[SILENT] + 1
    with transaction(world.factory) as s:
        assert s.scalar(select(func.count()).select_from(ReminderRow)) == 2

    # the reminder's own button acknowledges
    assert await silent.press(reminder, ACK_EN) == "Thank you, marked as read."
    [stats] = await world.chat(ADMIN).send("/stats 107")
    assert "办公室：送达 2，已阅 2，打开文章 0，未送达 0" in stats.text.split("\n")


async def test_stats_without_an_issue_shows_recent_issues_and_a_chart(world: World) -> None:
    await world.chat(READER).press(world.contents(READER), ACK_ZH)
    second = store(world.factory, 8)
    await world.push(second)
    assert await world.server.await_for(lambda: len([m for m in world.server.messages(READER)
                                                      if {ACK_ZH, ACKED_ZH} & set(labels(m))]) == 2)

    admin = world.chat(ADMIN)
    text, photo = await admin.send("/stats", expect=2)
    lines = text.text.split("\n")
    assert lines[0] == "最近2期已阅情况"
    assert lines[1] == "某市文旅工作简报 2024年第8期（总第108期）：送达 3，已阅 0（0%）"
    assert lines[2] == "某市文旅工作简报 2024年第7期（总第107期）：送达 3，已阅 1（33%）"
    assert photo.method == "sendPhoto"
    assert photo.caption == "最近2期各部门已阅率（已阅会话占送达会话的百分比）"
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG\r\n\x1a\n")
    # Without a font that has Chinese glyphs the chart numbers the departments and the message says which is which
    if any(line.startswith("图中编号：") for line in lines):
        assert "D1 = 办公室" in text.text and "D2 = 综合科" in text.text


async def test_forged_ack_presses_record_nothing(server: LocalBotApi, factory: sessionmaker[Session]) -> None:
    """已阅 data posted straight to the webhook, for an issue the chat never received, counts for nothing."""
    subscribe(factory)
    sent_id = store(factory, 7)
    never_sent = store(factory, 8)
    cfg = config(server)
    app = build_application(cfg, session_factory=factory)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    async with running_webhook(app, listen="127.0.0.1", port=port, url_path="hook", webhook_url=url,
                               secret_token=SECRET):
        server.block(BLOCKED)
        world = World(server, factory, app, cfg, sent_id)
        await world.push(sent_id)
        outsider, reader = world.chat(OUTSIDER), world.chat(READER)
        forged = [
            (OUTSIDER, f"1:k:{sent_id}"),  # the issue never reached this chat
            (READER, f"1:k:{never_sent}"),  # this issue was never pushed at all
            (READER, "1:k:x"),  # malformed
        ]
        async with httpx.AsyncClient() as client:
            for n, (user_id, data) in enumerate(forged):
                update = {
                    "update_id": 900_000 + n,
                    "callback_query": {
                        "id": f"forged-{n}", "chat_instance": "1", "data": data,
                        "from": {"id": user_id, "is_bot": False, "first_name": "x", "language_code": "zh-hans"},
                        "message": {"message_id": 1, "date": 1, "text": "x",
                                    "chat": {"id": user_id, "type": "private", "first_name": "x"}},
                    },
                }
                response = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                assert response.status_code == 200
        # Updates of one chat are handled in order: once /help is answered, the forged presses have been handled.
        await outsider.send("/help")
        await reader.send("/help")
        with transaction(factory) as s:
            assert s.scalar(select(func.count()).select_from(AckRow)) == 0
        [stats] = await world.chat(ADMIN).send("/stats 107")
        assert stats.text.split("\n")[-1] == "合计：送达 3，已阅 0，打开文章 0，未送达 1"
        await app.bot.delete_webhook()


async def test_the_running_bot_reminds_by_itself(server: LocalBotApi, factory: sessionmaker[Session]) -> None:
    """`bulletin-bot run`'s extensions include the reminder service: an issue delivered two days ago (the push ran
    with a clock set back) and not acknowledged gets its reminder once the bot is up."""
    subscribe(factory)
    issue_id = store(factory, 7)
    cfg = config(server)
    two_days_ago = utcnow() - dt.timedelta(days=2)
    with transaction(factory) as s:
        publish(UnitOfWork(s), issue_id, two_days_ago, two_days_ago)
    push_bot = make_push_bot(TOKEN, server.api_base_url())
    settings = dataclasses.replace(push_settings(cfg), private_interval=0.0, group_interval=0.0, admins=())
    async with push_bot:
        await PushRunner(factory, TelegramSender(push_bot), settings, worker="test", clock=lambda: two_days_ago).tick()
    assert ACK_ZH in labels(server.messages(READER)[-1])
    with transaction(factory) as s:
        assert ReceiptRepository(s).acknowledge(issue_id, READER, READER, utcnow())

    app = build_application(cfg, session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        assert await server.await_for(lambda: len(server.messages(SILENT)) == 2)
        assert (server.messages(SILENT)[-1].text or "").startswith("Reminder: ")
        assert await server.await_for(lambda: len(server.messages(GROUP)) == 2)
        assert len(server.messages(READER)) == 1  # acknowledged: no reminder
