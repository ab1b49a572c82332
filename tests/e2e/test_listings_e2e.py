"""Admin listings longer than one Telegram message (issue 9 §5) arrive whole, split at line boundaries, over real
HTTP against the local Bot API server (which refuses a text over 4096 UTF-16 units as Telegram does)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from bot.app import build_application, running_polling
from bot.common.outbox import TelegramSender
from bulletin.render import utf16_len
from bulletin_bot.cmd_push import push_settings
from config import AccessConfig, Config, TelegramConfig
from jobs.push import publish
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork
from localbotapi import Limits, LocalBotApi
from storage.access_repo import AuditLog
from storage.archive import IssueRepository
from storage.db import transaction
from storage.subscribers import SubscriberRepository
from storage.types import utcnow

TOKEN = "4545:listings-test-token"
ADMIN = 801
FIRST_CHAT = 10_000
CHATS = 50  # /subscribers shows up to 50
# Long but ordinary: Telegram allows 64-character names; 其他 departments are typed freely.
NAME = "某市文化和旅游局综合执法支队第三大队驻城区旅游景区安全生产联络员同志"
DEPARTMENT = "某市文化和旅游局综合执法支队第三大队驻城区旅游景区安全生产检查组（负责城区各景区节假日安全检查）"


def _department(i: int) -> str:
    return f"{DEPARTMENT}{i:02d}"


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with LocalBotApi(limits=Limits(enabled=False)) as api:
        api.add_bot(TOKEN, username="listings_test_bot")
        api.add_user(ADMIN, "王主任", language_code="zh-hans")
        for i in range(CHATS):
            api.add_user(FIRST_CHAT + i, f"{NAME}{i:02d}", language_code="zh-hans")
        yield api


def _config(server: LocalBotApi) -> Config:
    departments = tuple(_department(i) for i in range(CHATS)) + tuple(f"{DEPARTMENT}备用{i:03d}" for i in range(80))
    return Config(
        telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url(), poll_timeout=1),
        access=AccessConfig(admins=(ADMIN,), departments=departments),
    )


async def _ask(server: LocalBotApi, text: str) -> list[Any]:
    """The admin sends TEXT; the bot's messages until it has been quiet for a moment."""
    before = len(server.messages(ADMIN))
    server.send_text(TOKEN, ADMIN, ADMIN, text)
    assert await server.await_for(lambda: len(server.messages(ADMIN)) > before), f"no reply to {text}"
    count = -1
    while count != len(server.messages(ADMIN)):  # all parts are sent one after the other
        count = len(server.messages(ADMIN))
        await server.await_for(lambda seen=count: len(server.messages(ADMIN)) > seen, timeout=0.5)
    return list(server.messages(ADMIN))[before:]


def _whole(parts: list[Any]) -> list[str]:
    """The lines of a split listing, checking each part fits in one message."""
    assert len(parts) >= 2, "the listing was expected to need several messages"
    assert all(utf16_len(p.text) <= 4096 for p in parts)
    return "\n".join(p.text for p in parts).splitlines()


async def test_long_listings_arrive_whole_in_several_messages(
    server: LocalBotApi, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        for i in range(CHATS):
            chat_id = FIRST_CHAT + i
            subs.subscribe(chat_id, chat_type="private", user_id=chat_id, display_name=f"{NAME}{i:02d}",
                           language_code="zh-hans", department=_department(i))
        stored, _ = IssueRepository(s).add(make_issue(7, total=107))
        for i in range(50):
            AuditLog(s).record(actor_id=ADMIN, action="subscriber_remove", subscriber_chat_id=FIRST_CHAT + i,
                               detail=f"{NAME}{i:02d}" * 2)
    config = _config(server)
    app = build_application(config, session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        now = utcnow()
        with transaction(factory) as s:
            publish(UnitOfWork(s), stored.id, now, now)
        settings = dataclasses.replace(push_settings(config), private_interval=0.0, group_interval=0.0,
                                       rate_per_second=1000.0, progress_interval=0.2)
        await PushRunner(factory, TelegramSender(app.bot), settings, worker="test").tick()

        lines = _whole(await _ask(server, "/subscribers"))
        assert lines[0] == f"当前订阅：{CHATS} 个会话"
        assert lines[1:-1] == [f"{FIRST_CHAT + i} {NAME}{i:02d} · {_department(i)}" for i in range(CHATS)]
        assert lines[-1] == "移除订阅：/remove 会话编号"

        lines = _whole(await _ask(server, "/stats 107"))
        assert lines[0] == "回执统计：某市文旅工作简报 2024年第7期（总第107期）"
        assert lines[1:-1] == [f"{_department(i)}：送达 1，已阅 0，打开文章 0，未送达 0" for i in range(CHATS)] + [
            f"{DEPARTMENT}备用{i:03d}：送达 0，已阅 0，打开文章 0，未送达 0" for i in range(80)
        ]
        assert lines[-1] == f"合计：送达 {CHATS}，已阅 0，打开文章 0，未送达 0"

        lines = _whole(await _ask(server, "/coverage"))
        assert lines[0] == "以下 80 个部门还没有订阅者（共 130 个部门）："
        assert lines[1:81] == [f"• {DEPARTMENT}备用{i:03d}" for i in range(80)]
        covered = "".join(lines[81:])
        assert covered == "已覆盖：" + "，".join(f"{_department(i)}（1）" for i in range(CHATS))

        lines = _whole(await _ask(server, "/audit 50"))
        assert lines[0] == "最近 50 条操作记录（时间 操作人 操作 对象 说明）："
        assert len(lines) == 51
