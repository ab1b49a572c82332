"""Shared helpers (no tests) for the local Bot API server tests: raw HTTP calls as a Bot API client makes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from localbotapi import LocalBotApi

TOKEN = "123456789:AAHtestTOKENforLocalBotApi_0123456789"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def result(self) -> Any:
        assert self.body.get("ok") is True, self.body
        return self.body["result"]

    @property
    def description(self) -> str:
        return str(self.body.get("description"))


def call(
    server: LocalBotApi, method: str, token: str = TOKEN, *, http_timeout: float = 30.0, **params: Any
) -> Reply:
    """POST a Bot API method with a JSON body, as many clients do."""
    r = httpx.post(f"{server.api_base_url()}{token}/{method}", json=params, timeout=http_timeout)
    return Reply(r.status_code, r.json(), r.headers)


def call_form(server: LocalBotApi, method: str, token: str = TOKEN, **params: Any) -> Reply:
    """POST form-encoded parameters the way python-telegram-bot does (sub-objects as JSON strings)."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    r = httpx.post(f"{server.api_base_url()}{token}/{method}", data=data, timeout=10)
    return Reply(r.status_code, r.json(), r.headers)


def error(reply: Reply) -> tuple[int, str, dict[str, Any] | None]:
    """An error answer's (HTTP status, description, parameters), checked to have the Bot API's error shape."""
    assert reply.body["ok"] is False
    assert reply.body["error_code"] == reply.status
    assert set(reply.body) <= {"ok", "error_code", "description", "parameters"}
    return reply.status, reply.description, reply.body.get("parameters")


# The chats produce_every_update uses (a test's server must not have them yet).
UPDATE_USER, UPDATE_ADMIN, UPDATE_GROUP, UPDATE_SUPERGROUP, UPDATE_CHANNEL = 3101, 3102, -5101, -1005102, -1005103


def produce_every_update(server: LocalBotApi, token: str = TOKEN) -> list[str]:
    """Make the server queue one of every update the bot handles (texts, commands, edits, documents, button
    presses, channel posts, the bot blocked and unblocked, kicked from and re-added to groups and channels, leaving,
    a group's migration); returns the update kinds in queue order."""
    server.add_user(UPDATE_USER, "王芳", language_code="zh-hans")
    server.add_user(UPDATE_ADMIN, "Admin", language_code="en", username="office_admin")
    server.add_group(UPDATE_GROUP, "综合科")
    server.add_group(UPDATE_SUPERGROUP, "办公室", type="supergroup")
    server.add_group(UPDATE_CHANNEL, "工作简报", type="channel")
    server.set_chat_member(UPDATE_GROUP, UPDATE_ADMIN, "creator")
    sent = call(server, "sendMessage", token, chat_id=UPDATE_USER, text="要目",
                reply_markup={"inline_keyboard": [[{"text": "打开", "callback_data": "a:1:1"}]]}).result
    kinds = []
    server.send_text(token, UPDATE_USER, UPDATE_USER, "/start")
    kinds.append("message")
    written = server.send_text(token, UPDATE_GROUP, UPDATE_USER, "办公室")
    kinds.append("message")
    server.edit_text(token, UPDATE_GROUP, UPDATE_USER, written["message_id"], "综合科")
    kinds.append("edited_message")
    server.send_document(token, UPDATE_USER, UPDATE_USER, "简报.txt", "正文".encode(), "text/plain", caption="第6期")
    kinds.append("message")
    server.press_button(token, UPDATE_USER, sent["message_id"], "a:1:1", UPDATE_USER)
    kinds.append("callback_query")
    server.send_text(token, UPDATE_CHANNEL, UPDATE_ADMIN, "频道消息")
    kinds.append("channel_post")
    server.block(UPDATE_USER)
    server.unblock(UPDATE_USER)
    server.kick(UPDATE_GROUP)  # from: the group's creator
    server.unkick(UPDATE_GROUP)
    server.kick(UPDATE_CHANNEL)  # an administrator kicked: from Telegram's service account
    server.set_chat_state(UPDATE_SUPERGROUP, "left", by=UPDATE_ADMIN)
    kinds += ["my_chat_member"] * 6
    server.migrate_group(UPDATE_GROUP)
    kinds += ["message", "message"]
    return kinds
