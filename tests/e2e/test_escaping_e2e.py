"""What users type reaches chat messages exactly as typed (issue 9 §6): names, group titles and departments (typed
after /subscribe or after 其他) carrying <, & and >, over real HTTP against the local Bot API server, which parses
HTML as Telegram does (an unescaped "<" is a 400, an unescaped "&amp;" would show as "&")."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.access import ADMIN, access_config, access_server, polling_bot
from support.bot import GROUP, ChatUser
from support.desk import (
    ADMIN_A,
    SUBSCRIBER,
    Admin,
    desk_config,
    desk_server,
    running_desk,
    sample_bytes,
    subscribe,
)
from support.issues import make_issue

from bot.common.outbox import TelegramSender
from bulletin_bot.cmd_push import push_settings
from config import AccessConfig
from jobs.push import publish
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork
from storage.archive import IssueRepository
from storage.db import transaction
from storage.push_models import PushState
from storage.push_repo import PushRepository
from storage.types import utcnow

NAME_USER = 601
NAME = "李<四>&amp;"  # Telegram shows a first name as typed: this one must read back literally
ADMIN_NAME = "王<b>主任</b>&"
GROUP_TITLE = "项目<组>&amp;协作群"
TYPED = "研发<R&D>部"  # after /subscribe
OTHER = "运维 & <测试> 组"  # after 其他


@pytest.fixture
def server() -> Iterator[Any]:
    with access_server() as s:
        s.add_user(NAME_USER, NAME, language_code="zh-hans")
        s.add_user(ADMIN + 50, ADMIN_NAME, language_code="zh-hans")
        s.add_group(GROUP - 1, GROUP_TITLE)
        yield s


async def test_names_and_departments_read_back_exactly_in_open_mode(
    server: Any, factory: sessionmaker[Session]
) -> None:
    async with polling_bot(access_config(server), factory):
        user, admin = ChatUser(server, NAME_USER, NAME_USER), ChatUser(server, ADMIN, ADMIN)
        [welcome] = await user.send("/start")
        assert welcome.text.startswith(f"您好，{NAME}！我是工作简报机器人。")
        [done] = await user.send(f"/subscribe {TYPED}")
        assert done.text == (
            f"订阅成功（部门：{TYPED}）。新一期简报发布时，我会把要目发给您。发送 /unsubscribe 可取消订阅。"
        )
        [again] = await user.send("/start")
        assert again.text.startswith(f"您好，{NAME}！您已订阅工作简报（部门：{TYPED}），新一期发布时我会把要目发给您。")
        [current] = await user.send("/settings")
        assert current.text == f"当前部门：{TYPED}。请选择新的部门："
        await user.press(current, "其他", edit=True)
        [changed] = await user.send(OTHER)
        assert changed.text == f"部门已改为：{OTHER}。"

        group = ChatUser(server, GROUP - 1, NAME_USER)
        [group_done] = await group.send(f"/subscribe {TYPED}")
        assert group_done.text.startswith(f"订阅成功（部门：{TYPED}）。")

        [listing] = await admin.send("/subscribers")
        lines = listing.text.splitlines()
        assert f"{NAME_USER} {NAME} · {OTHER}" in lines
        assert f"{GROUP - 1} {GROUP_TITLE} · {TYPED}" in lines
        [removed] = await admin.send(f"/remove {NAME_USER}")
        assert removed.text == f"已移除 {NAME}（{NAME_USER}）的订阅。"
        [log] = await admin.send("/audit 1")
        assert log.text.splitlines()[1].endswith(f"{ADMIN}  subscriber_remove  chat={NAME_USER}  {NAME}")


async def test_names_and_departments_read_back_exactly_in_approval_mode(
    server: Any, factory: sessionmaker[Session]
) -> None:
    second_admin = ADMIN + 50
    config = access_config(server, mode="approval", admins=(second_admin,))
    async with polling_bot(config, factory):
        user, admin = ChatUser(server, NAME_USER, NAME_USER), ChatUser(server, second_admin, second_admin)
        [sent] = await user.send(f"/subscribe {TYPED}")
        assert sent.text == f"您的订阅申请（部门：{TYPED}）已提交，管理员审核后会通知您结果。"
        assert await server.await_for(lambda: len(admin.messages()) == 1)
        [request] = admin.messages()
        expected = f"订阅申请\n申请人：{NAME}\n会话：{NAME_USER}（private）\n部门：{TYPED}"
        assert request.text == expected
        before = len(user.messages())
        await admin.press(request, "✅ 批准", edit=True)
        assert admin.message(request.message_id).text == f"{expected}\n\n✅ 已批准（{ADMIN_NAME}）"
        assert await server.await_for(lambda: len(user.messages()) > before)
        assert user.messages()[-1].text == f"您的订阅申请已获批准（部门：{TYPED}）。新一期简报发布后会推送给您。"


async def test_departments_read_back_exactly_in_receipts(server: Any, factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(make_issue(7, total=107))
    config = dataclasses.replace(access_config(server), access=dataclasses.replace(
        access_config(server).access, departments=(TYPED,)))
    async with polling_bot(config, factory) as app:
        user, admin = ChatUser(server, NAME_USER, NAME_USER), ChatUser(server, ADMIN, ADMIN)
        await user.send(f"/subscribe {OTHER}")
        await ChatUser(server, GROUP - 1, NAME_USER).send(f"/subscribe {TYPED}")
        server.kick(GROUP - 1)  # the push cannot reach the group: the admin's summary names it
        now = utcnow()
        with transaction(factory) as s:
            publish(UnitOfWork(s), stored.id, now, now)
        settings = dataclasses.replace(push_settings(config), private_interval=0.0, group_interval=0.0,
                                       progress_interval=0.2)
        await PushRunner(factory, TelegramSender(app.bot), settings, worker="test").tick()
        summary = next(m for m in admin.messages() if "推送完成" in m.text)
        assert f"• {GROUP_TITLE}（{GROUP - 1}）：" in summary.text
        [stats] = await admin.send("/stats 107")
        assert stats.text.splitlines()[1:] == [
            f"{TYPED}：送达 0，已阅 0，打开文章 0，未送达 1",
            f"{OTHER}：送达 1，已阅 0，打开文章 0，未送达 0",
            "合计：送达 1，已阅 0，打开文章 0，未送达 1",
        ]
        [coverage] = await admin.send("/coverage")
        assert coverage.text.splitlines() == ["以下 1 个部门还没有订阅者（共 1 个部门）：", f"• {TYPED}"]


def _push_states(factory: sessionmaker[Session]) -> list[str]:
    with transaction(factory) as s:
        return [p.state for p in PushRepository(s).in_state(*PushState)]


async def test_admin_names_and_correction_text_read_back_exactly_at_the_desk(factory: sessionmaker[Session]) -> None:
    """The desk: an approving admin's name, and the text of a correction notice (typed by an admin)."""
    approver = 650
    notice = "第2篇中“<公告>&附件”应为“附件一”。"
    with desk_server() as server:
        server.add_user(approver, ADMIN_NAME, language_code="zh-hans")
        subscribe(factory, SUBSCRIBER)
        config = dataclasses.replace(
            desk_config(server, approval=True), access=AccessConfig(admins=(ADMIN_A, approver), departments=())
        )
        async with running_desk(server, factory, config):
            a, b = Admin(server, ADMIN_A, ADMIN_A), Admin(server, approver, approver)
            reader = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
            _preview, panel = await a.upload("b6.txt", sample_bytes())
            await a.press_and_wait(panel, "立即发布", lambda: "已提交审核" in a.current(panel).text)
            assert await server.await_for(lambda: len(b.messages()) == 2)
            request = b.messages()[-1]
            await b.press_and_wait(request, "✅ 批准", lambda: "批准" in b.current(request).text.splitlines()[1])
            assert b.current(request).text.splitlines()[1].startswith(f"✅ 已由 {ADMIN_NAME} 批准。")
            assert await server.await_for(lambda: len(reader.messages()) == 1, timeout=15)
            assert await server.await_for(lambda: _push_states(factory) == ["done"])  # the ledger knows the chat

            [prompt] = await a.send(f"/correct 58 {notice}")
            assert prompt.text.endswith(f"\n\n{notice}")
            await a.press_and_wait(prompt, "确认", lambda: "已提交审核" in a.current(prompt).text)
            assert await server.await_for(lambda: len(b.messages()) == 3)
            correction = b.messages()[-1]
            assert correction.text.endswith(f"\n\n{notice}")
            await b.press_and_wait(correction, "✅ 批准", lambda: "完成" in b.current(correction).text)
            assert await server.await_for(lambda: len(reader.messages()) == 2)
            assert reader.messages()[-1].text == f"📢 更正（2024年第6期（总第58期））\n{notice}"
