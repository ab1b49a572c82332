"""End to end over real HTTP against the local Bot API server: hostile or unusual input gets its proper answer.
Commands whose text holds a URL reach their command, and out-of-range numbers in button data are "expired"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from test_bot_e2e import TOKEN, ZH_USER, ChatUser, running_bot, seed_archive, started_server
from test_desk_support import ADMIN_A, NOBODY, desk_config, desk_server, running_desk

EXPIRED = "这个按钮已失效，请重新发送命令。"


async def test_commands_with_a_url_reach_their_command(factory: sessionmaker[Session]) -> None:
    with desk_server() as server:
        async with running_desk(server, factory, desk_config(server)):
            admin, nobody = ChatUser(server, ADMIN_A, ADMIN_A), ChatUser(server, NOBODY, NOBODY)
            [unknown] = await admin.send("/correct 99 详见 https://example.org/notice.html")
            assert unknown.text == "没有找到第 99 期简报。发送 /issues 查看往期列表。"
            [usage] = await admin.send("/recall https://example.org/notice.html")
            assert usage.text == "用法：/recall 期号（从所有会话撤回该期的要目消息）"
            [refused] = await nobody.send("/refresh 58 http://example.org/")
            assert refused.text == "抱歉，此功能仅限管理员使用。"
            [found] = await nobody.send("/search https://example.org")
            assert found.text.startswith("没有找到")


@pytest.fixture
def server() -> Iterator[Any]:
    with started_server() as s:
        yield s


async def test_out_of_range_numbers_in_buttons_are_expired(server: Any, factory: sessionmaker[Session]) -> None:
    seed_archive(factory)
    huge = "999999999999999999"
    forged = [f"1:l:{huge}", f"1:s:{huge}:q:景区", f"1:c:{huge}", f"1:a:{huge}:1", f"1:a:1:{huge}", f"1:d:{huge}",
              "1:l:2147483648", "1:c:2147483648", f"1:k:{huge}", f"1:q:{huge}:1", f"1:r:{huge}", f"1:x:{huge}:1"]
    async with running_bot(server, factory, "polling"):
        zh = ChatUser(server, ZH_USER, ZH_USER)
        markup = {"inline_keyboard": [[{"text": f"f{i}", "callback_data": d}] for i, d in enumerate(forged)]}
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{server.api_base_url()}{TOKEN}/sendMessage",
                json={"chat_id": ZH_USER, "text": "old buttons", "reply_markup": markup},
            )
            assert response.status_code == 200
        message = zh.messages()[-1]
        for data in forged:
            answer = await zh.press_data(message, data)
            assert answer.get("text") == EXPIRED, data
        [help_text] = await zh.send("/help")  # in order: every press above has been handled by now
        assert [m.text for m in zh.messages()] == ["old buttons", help_text.text]
