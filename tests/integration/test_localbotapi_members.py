"""The local server's getChatMember / getChatAdministrators: Bot API shapes (PTB parses them into its ChatMember
classes), the statuses set with set_chat_member, and the errors for unknown users, private chats and kicked bots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import telegram
from support.api import bot_api
from support.localbotapi import TOKEN, call
from telegram import ChatMemberAdministrator, ChatMemberLeft, ChatMemberMember, ChatMemberOwner
from telegram.error import BadRequest, Forbidden

from localbotapi import LocalBotApi

GROUP = -5001


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    users = [(3001, "王芳", "zh-hans"), (3002, "李雷", "zh-hans"), (3003, "韩梅", "zh-hans")]
    with bot_api(TOKEN, users=users, groups={GROUP: "综合科"}) as s:
        yield s


def test_statuses_and_shapes_over_http(server: LocalBotApi) -> None:
    server.set_chat_member(GROUP, 3001, "creator")
    server.set_chat_member(GROUP, 3002, "administrator")
    owner = call(server, "getChatMember", chat_id=GROUP, user_id=3001).result
    assert owner == {"user": owner["user"], "status": "creator", "is_anonymous": False}
    assert owner["user"]["id"] == 3001 and owner["user"]["first_name"] == "王芳"
    admin = call(server, "getChatMember", chat_id=GROUP, user_id=3002).result
    assert admin["status"] == "administrator" and admin["can_manage_chat"] is True and admin["can_be_edited"] is False
    member = call(server, "getChatMember", chat_id=GROUP, user_id=3003).result
    assert member == {"user": member["user"], "status": "member"}
    admins = call(server, "getChatAdministrators", chat_id=GROUP).result
    assert [(a["user"]["id"], a["status"]) for a in admins] == [(3001, "creator"), (3002, "administrator")]
    # A control endpoint does the same over HTTP.
    body = {"chat_id": GROUP, "user_id": 3002, "status": "left"}
    assert httpx.post(f"{server.url}/_control/set_chat_member", json=body).json()["ok"] is True
    assert call(server, "getChatMember", chat_id=GROUP, user_id=3002).result["status"] == "left"


def test_errors(server: LocalBotApi) -> None:
    def error(method: str, **params: Any) -> tuple[int, str]:
        reply = call(server, method, **params)
        assert reply.body["ok"] is False
        return reply.status, reply.description

    assert error("getChatMember", chat_id=GROUP, user_id=9999) == (400, "Bad Request: user not found")
    assert error("getChatMember", chat_id=-7, user_id=3001) == (400, "Bad Request: chat not found")
    assert error("getChatAdministrators", chat_id=3001) == (
        400, "Bad Request: there are no administrators in the private chat"
    )
    assert call(server, "getChatMember", chat_id=3001, user_id=3001).result["status"] == "member"
    server.kick(GROUP)
    assert error("getChatMember", chat_id=GROUP, user_id=3001) == (403, "Forbidden: bot was kicked from the group chat")
    with pytest.raises(ValueError):
        server.set_chat_member(GROUP, 3001, "boss")


async def test_ptb_parses_every_status(server: LocalBotApi) -> None:
    server.set_chat_member(GROUP, 3001, "creator")
    server.set_chat_member(GROUP, 3002, "administrator")
    async with telegram.Bot(TOKEN, base_url=server.api_base_url()) as bot:
        assert isinstance(await bot.get_chat_member(GROUP, 3001), ChatMemberOwner)
        admin = await bot.get_chat_member(GROUP, 3002)
        assert isinstance(admin, ChatMemberAdministrator) and admin.can_pin_messages is True
        assert isinstance(await bot.get_chat_member(GROUP, 3003), ChatMemberMember)
        server.set_chat_member(GROUP, 3003, "left")
        assert isinstance(await bot.get_chat_member(GROUP, 3003), ChatMemberLeft)
        assert [m.user.id for m in await bot.get_chat_administrators(GROUP)] == [3001, 3002]
        with pytest.raises(BadRequest, match="User not found"):  # PTB capitalizes the description
            await bot.get_chat_member(GROUP, 9999)
        server.kick(GROUP)
        with pytest.raises(Forbidden):
            await bot.get_chat_administrators(GROUP)
