"""End to end over real HTTP against the local Bot API server: who may subscribe ([access] mode open / invite /
approval), invite links (single use, multi use, expired, used up), approval by an admin, refusals for non-admins,
forged and replayed button presses, admins removing subscribers, /audit, and the per-user command rate limit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.access import (
    ADMIN,
    ADMIN_ONLY,
    SECOND_ADMIN,
    WEBHOOK_SECRET,
    access_config,
    access_server,
    audit,
    next_message,
    pending_requests,
    polling_bot,
    subscriber,
    webhook_bot,
)
from support.bot import DEPARTMENTS, EN_USER, GROUP, OTHER_USER, ZH_USER, ChatUser, labels
from telegram.ext import CommandHandler

from bot.app import COMMANDS as PUBLIC_COMMANDS
from config import config_from_mapping
from storage.access_repo import AdminRepository, InviteRepository
from storage.db import transaction
from storage.types import utcnow

INVITE_LINK = re.compile(r"https://t\.me/bulletin_test_bot\?start=(inv_[A-Za-z0-9_-]+)")


@pytest.fixture
def server() -> Iterator[Any]:
    with access_server() as s:
        yield s


def chat(server: Any, user_id: int) -> ChatUser:
    return ChatUser(server, user_id, user_id)


async def invite_payload(admin: ChatUser, command: str) -> tuple[str, str]:
    """The admin types COMMAND (/invite ...); returns the reply's text and the link's start payload."""
    [made] = await admin.send(command)
    m = INVITE_LINK.search(made.text)
    assert m, made.text
    return made.text, m[1]


# ------------------------------------------------------------------------------------------------ invite mode


async def test_invite_mode_single_use_link(server: Any, factory: sessionmaker[Session]) -> None:
    async with polling_bot(access_config(server, mode="invite"), factory):
        zh, other, admin = chat(server, ZH_USER), chat(server, OTHER_USER), chat(server, ADMIN)
        [refused] = await zh.send("/subscribe")
        assert refused.text == "抱歉，本简报需凭邀请链接订阅。请向办公室索取邀请链接。"
        assert refused.reply_markup is None
        [typed] = await zh.send("/subscribe 办公室")
        assert typed.text == refused.text
        assert subscriber(factory, ZH_USER) is None

        text, payload = await invite_payload(admin, "/invite")
        assert "可使用 1 次" in text and "有效期至" in text

        [offer] = await zh.send(f"/start {payload}")
        assert offer.text == "邀请有效。请选择您所在的部门完成订阅："
        assert labels(offer) == [*DEPARTMENTS, "其他"]
        await zh.press(offer, "综合科", edit=True)
        assert zh.message(offer.message_id).text.startswith("订阅成功（部门：综合科）")
        sub = subscriber(factory, ZH_USER)
        assert sub is not None and sub.active and sub.department == "综合科"

        # The link was for one person: the next one is told it is used up, and still cannot subscribe.
        [used] = await other.send(f"/start {payload}")
        assert used.text == "抱歉，这个邀请链接已被使用。请向办公室索取新的邀请链接。"
        [still] = await other.send("/subscribe 办公室")
        assert still.text == refused.text
        assert subscriber(factory, OTHER_USER) is None

        # A subscriber changes department without any invite.
        [changed] = await zh.send("/subscribe 办公室")
        assert "办公室" in changed.text
        assert [e.action for e in audit(factory) if e.actor_id == ADMIN] == ["invite_create"]


async def test_invite_without_a_duration_lasts_the_configured_invite_ttl(
    server: Any, factory: sessionmaker[Session]
) -> None:
    # Read the way the bot reads its config file: the duration is parsed once, at load, into a timedelta.
    base = access_config(server, mode="invite")
    config = config_from_mapping({
        "telegram": {"token": base.telegram.token, "api_base_url": base.telegram.api_base_url, "poll_timeout": 1},
        "access": {"admins": [ADMIN], "departments": list(DEPARTMENTS), "mode": "invite", "invite_ttl": "90m"},
    }, env={})
    async with polling_bot(config, factory):
        before = utcnow()
        text, _payload = await invite_payload(chat(server, ADMIN), "/invite")
    shanghai = ZoneInfo("Asia/Shanghai")
    allowed = {(before + dt.timedelta(minutes=90 + extra)).astimezone(shanghai).strftime("%Y-%m-%d %H:%M")
               for extra in (0, 1)}
    until = re.search(r"有效期至 (\S+ \S+)）", text)
    assert until is not None and until[1] in allowed, text


async def test_invite_used_up_between_opening_and_choosing(server: Any, factory: sessionmaker[Session]) -> None:
    async with polling_bot(access_config(server, mode="invite"), factory):
        zh, other, admin = chat(server, ZH_USER), chat(server, OTHER_USER), chat(server, ADMIN)
        _text, payload = await invite_payload(admin, "/invite 1 2h")
        [offer_zh] = await zh.send(f"/start {payload}")
        [offer_other] = await other.send(f"/start {payload}")
        assert labels(offer_other) == [*DEPARTMENTS, "其他"]
        await zh.press(offer_zh, "办公室", edit=True)
        await other.press(offer_other, "办公室", edit=True)
        assert other.message(offer_other.message_id).text == "抱歉，这个邀请链接已被使用。请向办公室索取新的邀请链接。"
        assert subscriber(factory, ZH_USER) is not None
        assert subscriber(factory, OTHER_USER) is None


async def test_expired_and_unknown_invites_are_refused(server: Any, factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        expired = InviteRepository(s).create(
            created_by=ADMIN, expires_at=utcnow() - dt.timedelta(minutes=1), max_uses=None
        )
    async with polling_bot(access_config(server, mode="invite"), factory):
        zh, en = chat(server, ZH_USER), chat(server, EN_USER)
        [old] = await zh.send(f"/start inv_{expired.code}")
        assert old.text == "抱歉，这个邀请链接已过期。请向办公室索取新的邀请链接。"
        [made_up] = await zh.send("/start inv_AAAAAAAAAAAAAAAA")
        assert made_up.text == "抱歉，这个邀请链接无效。请向办公室索取新的邀请链接。"
        [english] = await en.send(f"/start inv_{expired.code}")
        assert english.text == "Sorry, this invite link has expired. Please ask the office for a new one."
        [refused] = await zh.send("/subscribe 办公室")
        assert "邀请链接" in refused.text
    assert subscriber(factory, ZH_USER) is None and subscriber(factory, EN_USER) is None


async def test_multi_use_invite_admits_several_people(server: Any, factory: sessionmaker[Session]) -> None:
    async with polling_bot(access_config(server, mode="invite"), factory):
        admin = chat(server, ADMIN)
        [usage] = await admin.send("/invite 3 天")
        assert usage.text.startswith("用法：/invite")
        text, payload = await invite_payload(admin, "/invite 多次 2d")
        assert "有效期内不限次数" in text
        for user_id in (ZH_USER, EN_USER, OTHER_USER):
            user = chat(server, user_id)
            [offer] = await user.send(f"/start {payload}")
            await user.press(offer, offer.reply_markup["inline_keyboard"][0][0]["text"], edit=True)
            sub = subscriber(factory, user_id)
            assert sub is not None and sub.active and sub.department == DEPARTMENTS[0]


# ---------------------------------------------------------------------------------------------- approval mode


async def test_approval_mode_approve_and_deny(server: Any, factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        AdminRepository(s).add(SECOND_ADMIN, added_by=ADMIN)
    async with polling_bot(access_config(server, mode="approval"), factory):
        zh, other = chat(server, ZH_USER), chat(server, OTHER_USER)
        admin, second = chat(server, ADMIN), chat(server, SECOND_ADMIN)
        [sent] = await zh.send("/subscribe 综合科")
        assert sent.text == "您的订阅申请（部门：综合科）已提交，管理员审核后会通知您结果。"
        assert subscriber(factory, ZH_USER) is None
        request = await next_message(admin, 0, "订阅申请")
        assert "张三" in request.text and str(ZH_USER) in request.text and "综合科" in request.text
        assert labels(request) == ["✅ 批准", "❌ 拒绝"]
        second_copy = await next_message(second, 0, "订阅申请")

        [pending] = await zh.send("/subscribe 综合科")
        assert "正在审核中" in pending.text
        assert len(admin.messages()) == 1  # asking again does not bother the admins again

        before = len(zh.messages())
        await admin.press(request, "✅ 批准", edit=True)
        assert admin.message(request.message_id).text.endswith("✅ 已批准（王主任）")
        approved = await next_message(zh, before, "已获批准")
        assert approved.text == "您的订阅申请已获批准（部门：综合科）。新一期简报发布后会推送给您。"
        sub = subscriber(factory, ZH_USER)
        assert sub is not None and sub.active and sub.department == "综合科"

        # The other admin's copy is stale now: pressing it changes nothing and says so.
        answer = await second.press(second_copy, "❌ 拒绝", edit=True)
        assert answer["text"] == "该申请已被批准，无需再处理。"
        assert subscriber(factory, ZH_USER) == sub

        [sent_other] = await other.send("/subscribe 办公室")
        assert "已提交" in sent_other.text
        request_other = await next_message(admin, 1, "李四")
        before = len(other.messages())
        await admin.press(request_other, "❌ 拒绝", edit=True)
        denied = await next_message(other, before, "未获批准")
        assert denied.text == "抱歉，您的订阅申请未获批准。如有疑问，请联系办公室。"
        assert subscriber(factory, OTHER_USER) is None

    actions = [(e.actor_id, e.action, e.subscriber_chat_id) for e in audit(factory)]
    assert (ADMIN, "request_approve", ZH_USER) in actions
    assert (ADMIN, "request_deny", OTHER_USER) in actions
    assert not any(a[1] in ("request_approve", "request_deny") and a[0] == SECOND_ADMIN for a in actions)


async def test_group_request_is_approved_and_the_group_told(server: Any, factory: sessionmaker[Session]) -> None:
    async with polling_bot(access_config(server, mode="approval"), factory):
        group, admin = ChatUser(server, GROUP, ZH_USER), chat(server, ADMIN)
        [sent] = await group.send("/subscribe@bulletin_test_bot 办公室")
        assert "已提交" in sent.text
        request = await next_message(admin, 0, "订阅申请")
        assert "某县办公室工作群" in request.text and str(GROUP) in request.text
        before = len(group.messages())
        await admin.press(request, "✅ 批准", edit=True)
        await next_message(group, before, "已获批准")
    sub = subscriber(factory, GROUP)
    assert sub is not None and sub.active and sub.chat_type == "group"


async def test_removed_admin_replaying_a_press_does_nothing(server: Any, factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        AdminRepository(s).add(SECOND_ADMIN, added_by=ADMIN)
    async with polling_bot(access_config(server, mode="approval"), factory):
        zh, second = chat(server, ZH_USER), chat(server, SECOND_ADMIN)
        await zh.send("/subscribe 综合科")
        request = await next_message(second, 0, "订阅申请")
        with transaction(factory) as s:  # what `bulletin-bot admins remove 901` does
            AdminRepository(s).remove(SECOND_ADMIN)
        answer = await second.press(request, "✅ 批准")
        assert answer["text"] == ADMIN_ONLY and answer["show_alert"] is True
        assert second.message(request.message_id).edits == []
        assert [r.chat_id for r in pending_requests(factory)] == [ZH_USER]
        assert subscriber(factory, ZH_USER) is None
    refused = [e for e in audit(factory) if e.action == "refused"]
    assert [e.actor_id for e in refused] == [SECOND_ADMIN]
    assert "request_decide" in refused[0].detail and "1:q:" in refused[0].detail


async def test_forged_approval_from_a_non_admin_does_nothing(server: Any, factory: sessionmaker[Session]) -> None:
    """李四 asks to subscribe, then posts forged presses (an "approve" of his own request, and malformed data)
    straight to the webhook."""
    async with webhook_bot(access_config(server, mode="approval"), factory) as url:
        other = chat(server, OTHER_USER)
        await other.send("/subscribe 办公室")
        [request] = pending_requests(factory)
        li_si = {"id": OTHER_USER, "is_bot": False, "first_name": "李四", "language_code": "zh-hans"}
        forged = {
            "update_id": 987654320,
            "callback_query": {
                "id": "forged-query-1",
                "from": li_si,
                "chat_instance": "1",
                "data": f"1:q:{request.id}:1",
                "message": {
                    "message_id": other.messages()[-1].message_id,
                    "date": 1,
                    "chat": {"id": OTHER_USER, "type": "private", "first_name": "李四"},
                    "text": "x",
                },
            },
        }
        malformed = {**forged, "update_id": 987654321}
        malformed["callback_query"] = {**forged["callback_query"], "id": "forged-query-2", "data": "1:q:1:7:7"}
        async with httpx.AsyncClient() as client:
            for update in (forged, malformed):
                response = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
                )
                assert response.status_code == 200
        assert await server.await_for(lambda: len([e for e in audit(factory) if e.action == "refused"]) == 2)
        # Updates of one chat are handled in order: once /help is answered, the forged press has been handled.
        before = len(other.messages())
        [help_reply] = await other.send("/help")
        assert "/subscribe" in help_reply.text
        assert other.new_since(before) == [help_reply]
        assert subscriber(factory, OTHER_USER) is None
        assert [r.id for r in pending_requests(factory)] == [request.id]
    refused = [e for e in audit(factory) if e.action == "refused"]
    assert {e.actor_id for e in refused} == {OTHER_USER}
    assert sorted(e.detail.split("'")[1] for e in refused) == sorted([f"1:q:{request.id}:1", "1:q:1:7:7"])
    assert not any(e.action == "request_approve" for e in audit(factory))


# ------------------------------------------------------------------------------------------- admin functions


async def test_non_admins_reach_no_admin_function(server: Any, factory: sessionmaker[Session]) -> None:
    async with polling_bot(access_config(server, mode="invite"), factory):
        zh, other, en = chat(server, ZH_USER), chat(server, OTHER_USER), chat(server, EN_USER)
        with transaction(factory) as s:
            AdminRepository(s).add(ZH_USER, added_by=ADMIN)
        await zh.send("/subscribe 办公室")  # an admin may subscribe in any mode
        for command in ("/invite", "/invite 多次 7d", "/subscribers", f"/remove {ZH_USER}", "/audit", "/admin"):
            [refusal] = await other.send(command)
            assert refusal.text == ADMIN_ONLY, command
        [english] = await en.send("/audit")
        assert english.text == "Sorry, only admins can do that."
        [group_refusal] = await ChatUser(server, GROUP, OTHER_USER).send("/invite@bulletin_test_bot")
        assert group_refusal.text == ADMIN_ONLY
    with transaction(factory) as s:
        assert InviteRepository(s).active() == []
    sub = subscriber(factory, ZH_USER)
    assert sub is not None and sub.active
    refused = [e for e in audit(factory) if e.action == "refused"]
    assert sorted({e.actor_id for e in refused}) == [EN_USER, OTHER_USER]
    assert len(refused) == 8


async def test_admin_lists_removes_subscribers_and_reads_the_audit(server: Any, factory: sessionmaker[Session]) -> None:
    async with polling_bot(access_config(server), factory):
        zh, admin = chat(server, ZH_USER), chat(server, ADMIN)
        await zh.send("/subscribe 综合科")
        [help_text] = await admin.send("/admin")
        assert "/invite" in help_text.text and "/remove" in help_text.text and "/audit" in help_text.text
        # one place lists every admin command: publishing, corrections and receipts too
        for command in ("/refresh", "/correct", "/recall", "/internal", "/stats", "/export", "/coverage"):
            assert command in help_text.text
        [listing] = await admin.send("/subscribers")
        assert listing.text.startswith("当前订阅：1 个会话")
        assert f"{ZH_USER} 张三 · 综合科" in listing.text
        before = len(zh.messages())
        [removed] = await admin.send(f"/remove {ZH_USER}")
        assert removed.text == f"已移除 张三（{ZH_USER}）的订阅。"
        told = await next_message(zh, before, "管理员取消")
        assert told.text == "您的简报订阅已被管理员取消。如有疑问，请联系办公室。"
        sub = subscriber(factory, ZH_USER)
        assert sub is not None and not sub.active
        [again] = await admin.send(f"/remove {ZH_USER}")
        assert again.text == f"会话 {ZH_USER} 没有有效的订阅。"
        [usage] = await admin.send("/remove 张三")
        assert usage.text.startswith("用法：/remove")
        await admin.send("/invite")
        [log] = await admin.send("/audit 5")
        lines = log.text.splitlines()
        assert lines[0] == "最近 2 条操作记录（时间 操作人 操作 对象 说明）："
        assert f"{ADMIN}  invite_create  uses=1" in lines[1]
        assert f"{ADMIN}  subscriber_remove  chat={ZH_USER}  张三" in lines[2]
        [bad] = await admin.send("/audit 500")
        assert bad.text == "用法：/audit [条数]，条数为 1 到 50，例如 /audit 10"


# ------------------------------------------------------------------------------------------------ rate limit


async def test_command_rate_limit_answers_once_then_stays_quiet(server: Any, factory: sessionmaker[Session]) -> None:
    async with polling_bot(access_config(server, rate=3), factory):
        zh, admin = chat(server, ZH_USER), chat(server, ADMIN)
        [keyboard] = await zh.send("/subscribe")
        await zh.send("/help")
        await zh.send("/latest")
        [wait] = await zh.send("/help")
        m = re.fullmatch(r"您的操作过于频繁，请 ([0-9]+) 秒后再试。", wait.text)
        assert m and 1 <= int(m[1]) <= 60
        count = len(zh.messages())
        answers = len(server.callback_answers())
        server.send_text("4242:e2e-test-token", ZH_USER, ZH_USER, "/help")
        # Button presses count too (tests/e2e/test_flood_e2e.py covers every kind): this one is not answered.
        data = keyboard.reply_markup["inline_keyboard"][0][0]["callback_data"]
        server.press_button("4242:e2e-test-token", ZH_USER, keyboard.message_id, data, ZH_USER)
        # Other users, and [access] admins, are not held back by it.
        for _ in range(5):
            [reply] = await admin.send("/help")
            assert "/subscribe" in reply.text
        assert await server.await_for(lambda: server.pending_updates("4242:e2e-test-token") == 0)
        assert len(zh.messages()) == count
        assert len(server.callback_answers()) == answers
        assert subscriber(factory, ZH_USER) is None


async def test_every_command_outside_the_public_menu_refuses_non_admins(
    server: Any, factory: sessionmaker[Session]
) -> None:
    """Whatever extensions register (access, desk, receipts, push), a command that is not in the public menu is an
    admin function: a non-admin gets the one polite refusal and nothing else, with or without arguments."""
    async with polling_bot(access_config(server, rate=0), factory) as app:
        admin_commands = sorted(
            name
            for handlers in app.handlers.values()
            for handler in handlers
            if isinstance(handler, CommandHandler)
            for name in handler.commands
            if name not in PUBLIC_COMMANDS
        )
        assert {"invite", "subscribers", "remove", "audit", "admin"} <= set(admin_commands)
        other = chat(server, OTHER_USER)
        for name in admin_commands:
            for text in (f"/{name}", f"/{name} 1", f"/{name} 2024-1 全部"):
                before = len(other.messages())
                [refusal] = await other.send(text)
                assert refusal.text == ADMIN_ONLY, text
                # Handled in order: the next reply comes after anything else this command could have sent.
                await other.send("/help")
                assert len(other.messages()) == before + 2, [m.text for m in other.new_since(before)]


async def test_an_admin_who_had_not_started_the_bot_finds_requests_later(
    server: Any, factory: sessionmaker[Session]
) -> None:
    late_admin = 902
    server.add_user(late_admin, "钱秘书", language_code="zh-hans", started=False)
    async with polling_bot(access_config(server, mode="approval", admins=(late_admin,)), factory):
        zh, admin = chat(server, ZH_USER), chat(server, late_admin)
        [sent] = await zh.send("/subscribe 综合科")
        assert "已提交" in sent.text
        assert admin.messages() == []  # the bot cannot write first to someone who never started it
        [none_yet] = await chat(server, OTHER_USER).send("/requests")
        assert none_yet.text == ADMIN_ONLY
        [request] = await admin.send("/requests")
        assert "张三" in request.text and labels(request) == ["✅ 批准", "❌ 拒绝"]
        before = len(zh.messages())
        await admin.press(request, "✅ 批准", edit=True)
        await next_message(zh, before, "已获批准")
        [empty] = await admin.send("/requests")
        assert empty.text == "没有待审核的订阅申请。"
    sub = subscriber(factory, ZH_USER)
    assert sub is not None and sub.active and sub.department == "综合科"
