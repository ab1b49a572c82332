"""The chat side of the end-to-end tests: a local Bot API server with users and a group, an archive of made-up
issues, the real Application polling it (or receiving its webhook), and a user who types and presses buttons."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_application, running_polling, running_webhook
from bulletin.model import Issue
from config import AccessConfig, Config, TelegramConfig
from storage.archive import IssueRepository
from storage.db import transaction
from support import issues
from support.api import free_port as free_port

TOKEN = "4242:e2e-test-token"
BOT_USERNAME = "bulletin_test_bot"
ZH_USER = 501
EN_USER = 502
OTHER_USER = 503
GROUP = -2001
DEPARTMENTS = ("办公室", "综合科")
WEBHOOK_SECRET = "e2e_Secret-token"
MASTHEAD = "某县工作简报"


def make_issue(n: int, *, articles: list[tuple[str, list[str]]] | None = None) -> Issue:
    """Issue N of 2024 (总第100+N期) of a county's bulletin, three articles by default, for the chat tests."""
    if articles is None:
        articles = [
            (f"第{n}期要闻：县政府常务会议召开", [f"会议研究了第{n}期重点工作。", "会议要求各部门抓好落实。"]),
            (f"第{n}期：乡镇农业生产调度", ["各乡镇加快春耕备耕。"]),
            (f"第{n}期基层动态", [f"城关镇开展第{n}次环境整治。"]),
        ]
    sections = ("工作动态", "工作动态", *["基层信息"] * (len(articles) - 2))
    return issues.make_issue(n, total=100 + n, masthead=MASTHEAD, publisher="某县人民政府办公室",
                             articles=articles, sections=sections, footer=())


def seed_archive(factory: sessionmaker[Session], count: int = 12) -> dict[int, int]:
    """Store issues 1..COUNT (the last one with articles about 景区, one of them very long); number -> id."""
    ids: dict[int, int] = {}
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for n in range(1, count + 1):
            issue = make_issue(n)
            if n == count:
                sentence = "景区游客接待量稳步增长，服务质量持续提升。"
                long_paragraphs = [f"第{i}段：" + sentence * 60 for i in range(1, 9)]
                issue = make_issue(
                    n,
                    articles=[
                        ("全县旅游景区安全检查启动", ["县文旅局部署<春季>景区安全检查，A&B类项目优先。"]),
                        ("景区服务质量提升行动", ["各景区完善游客服务中心。"]),
                        ("景区发展情况长篇调研报告", long_paragraphs),
                    ],
                )
            stored, _ = repo.add(issue)
            ids[n] = stored.id
    return ids


def bot_config(server: Any) -> Config:
    return Config(
        telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url(), poll_timeout=1),
        access=AccessConfig(departments=DEPARTMENTS),
    )


@contextlib.asynccontextmanager
async def running_bot(
    server: Any, factory: sessionmaker[Session], mode: str
) -> AsyncIterator[dict[str, Any]]:
    """The real Application against SERVER, polling or behind a webhook; yields facts about the run."""
    app = build_application(bot_config(server), session_factory=factory)
    if mode == "polling":
        async with running_polling(app, poll_interval=0.0, timeout=1):
            yield {"mode": mode}
    else:
        port = free_port()
        url = f"http://127.0.0.1:{port}/telegram-hook"
        async with running_webhook(
            app, listen="127.0.0.1", port=port, url_path="telegram-hook", webhook_url=url, secret_token=WEBHOOK_SECRET
        ):
            try:
                yield {"mode": mode, "url": url}
            finally:
                # A production bot leaves its webhook set while it is down (updates wait for it); a test removes
                # it, so the server has nothing left to deliver to a closed listener when it stops.
                await app.bot.delete_webhook()


def buttons(message: Any) -> list[dict[str, Any]]:
    markup = message.reply_markup or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def labels(message: Any) -> list[str]:
    return [b["text"] for b in buttons(message)]


class ChatUser:
    """A user in one chat: types messages and presses buttons, and waits for what the bot does in return."""

    def __init__(self, server: Any, chat_id: int, user_id: int) -> None:
        self.server = server
        self.chat_id = chat_id
        self.user_id = user_id

    def messages(self) -> list[Any]:
        return list(self.server.messages(self.chat_id))

    def message(self, message_id: int) -> Any:
        return next(m for m in self.messages() if m.message_id == message_id)

    async def send(self, text: str, expect: int = 1) -> list[Any]:
        """Type TEXT; return the EXPECT messages the bot sends in reply."""
        before = len(self.messages())
        self.server.send_text(TOKEN, self.chat_id, self.user_id, text)
        assert await self.server.await_for(lambda: len(self.messages()) >= before + expect), (
            f"no reply to {text!r}; got {[m.text for m in self.messages()[before:]]}"
        )
        return self.messages()[before:]

    async def press(self, message: Any, label: str, expect: int = 0, edit: bool = False) -> dict[str, Any]:
        """Press the button LABEL under MESSAGE; wait for its answer, EXPECT new messages and (if EDIT) an edit."""
        data = next(b["callback_data"] for b in buttons(message) if b["text"] == label)
        return await self.press_data(message, data, expect=expect, edit=edit)

    async def press_data(self, message: Any, data: str, expect: int = 0, edit: bool = False) -> dict[str, Any]:
        before_msgs = len(self.messages())
        before_answers = len(self.server.callback_answers())
        before_edits = len(self.message(message.message_id).edits)
        self.server.press_button(TOKEN, self.chat_id, message.message_id, data, self.user_id)
        assert await self.server.await_for(lambda: len(self.server.callback_answers()) > before_answers)
        if expect:
            assert await self.server.await_for(lambda: len(self.messages()) >= before_msgs + expect)
        if edit:
            assert await self.server.await_for(lambda: len(self.message(message.message_id).edits) > before_edits)
        answer: dict[str, Any] = self.server.callback_answers()[before_answers]
        return answer

    def new_since(self, count: int) -> list[Any]:
        return self.messages()[count:]


@contextlib.contextmanager
def started_server(*, limits: bool = False) -> Iterator[Any]:
    from localbotapi import Limits, LocalBotApi

    with LocalBotApi(limits=Limits(enabled=limits), local_mode=True) as server:  # http webhooks on 127.0.0.1
        server.add_bot(TOKEN, username=BOT_USERNAME, first_name="工作简报")
        server.add_user(ZH_USER, "张三", language_code="zh-hans")
        server.add_user(EN_USER, "Alice", language_code="en-US")
        server.add_user(OTHER_USER, "李四", language_code="zh-hans")
        server.add_group(GROUP, "某县办公室工作群")
        yield server


async def message_with_buttons(user: ChatUser, data: list[str]) -> Any:
    """A message "old buttons" in USER's chat, sent straight to the server, with a button for each of DATA."""
    markup = {"inline_keyboard": [[{"text": f"f{i}", "callback_data": d}] for i, d in enumerate(data)]}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{user.server.api_base_url()}{TOKEN}/sendMessage",
            json={"chat_id": user.chat_id, "text": "old buttons", "reply_markup": markup},
        )
        assert response.status_code == 200
    return user.messages()[-1]
