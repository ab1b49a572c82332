"""Support for the desk's end-to-end tests: a local Bot API server with admins and subscribers, the real
Application with the desk and the push runner, made-up bulletin documents, and a small web server for URLs.
(No tests in this module.)"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import io
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_application, default_extensions, running_polling
from bot.features.push import push_extension
from bulletin.parser import parse_document
from config import AccessConfig, Config, NetworkConfig, PublishConfig, TelegramConfig
from jobs.push import PushSettings, publish
from jobs.uow import UnitOfWork
from storage.archive import IssueRepository
from storage.db import transaction
from storage.subscribers import SubscriberRepository
from support.bot import TOKEN, ChatUser, buttons, labels

__all__ = ["TOKEN", "ChatUser", "buttons", "labels"]

ADMIN_A = 601
ADMIN_B = 602
NOBODY = 603  # not an admin
SUBSCRIBER = 701
EN_SUBSCRIBER = 702
SAMPLE = Path(__file__).resolve().parents[2] / "bulletin_bot" / "data" / "sample-bulletin.txt"
SAMPLE_LABEL = "2024年第6期（总第58期）"


def sample_text(number: int = 6, total: int = 58, *, extra: str = "", retitle: str = "") -> str:
    """Our own made-up bulletin (bulletin_bot/data), renumbered; EXTRA is appended to the first article, RETITLE
    replaces the second article's title (in the 要目 and the heading)."""
    text = SAMPLE.read_text(encoding="utf-8")
    if retitle:
        title = "市文旅局召开上半年重点项目推进会\n"
        assert text.count(title) == 2
        text = text.replace(title, retitle + "\n")
    text = text.replace("2024年第6期（总第58期）", f"2024年第{number}期（总第{total}期）")
    if extra:
        marker = "确保游客暑期出游安全。"
        assert marker in text
        text = text.replace(marker, marker + extra, 1)
    return text


def sample_bytes(**kw: Any) -> bytes:
    return sample_text(**kw).encode("utf-8")


def sample_docx(text: str) -> bytes:
    """TEXT as a Word document, one paragraph per non-empty line."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@contextlib.contextmanager
def desk_server() -> Iterator[Any]:
    from localbotapi import Limits, LocalBotApi

    with LocalBotApi(limits=Limits(enabled=False)) as server:
        server.add_bot(TOKEN, username="bulletin_test_bot", first_name="工作简报")
        server.add_user(ADMIN_A, "王主任", language_code="zh-hans")
        server.add_user(ADMIN_B, "赵科长", language_code="zh-hans")
        server.add_user(NOBODY, "路人", language_code="zh-hans")
        server.add_user(SUBSCRIBER, "李四", language_code="zh-hans")
        server.add_user(EN_SUBSCRIBER, "Bob", language_code="en")
        yield server


def desk_config(server: Any, *, approval: bool = False, allow_private: bool = True, **publish: Any) -> Config:
    """The desk's config; URLs may reach 127.0.0.1 (the tests' web server) unless ALLOW_PRIVATE is False."""
    return Config(
        telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url(), poll_timeout=1),
        access=AccessConfig(admins=(ADMIN_A, ADMIN_B), departments=("办公室", "综合科")),
        publish=dataclasses.replace(PublishConfig(approval=approval), **publish),
        network=NetworkConfig(allow_private=allow_private),
    )


def subscribe(factory: sessionmaker[Session], *chat_ids: int) -> None:
    with transaction(factory) as session:
        repo = SubscriberRepository(session)
        for chat_id in chat_ids:
            lang = "en" if chat_id == EN_SUBSCRIBER else "zh-hans"
            repo.subscribe(chat_id, chat_type="private", user_id=chat_id, display_name=str(chat_id),
                           language_code=lang, department="办公室")


def pushed_sample_issue(factory: sessionmaker[Session]) -> int:
    """Store the sample issue (No. 58 overall) and schedule its push now; returns its id."""
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(parse_document(sample_bytes(), "b6.txt"))
        publish(UnitOfWork(s), stored.id, now, now)
        return stored.id


@contextlib.asynccontextmanager
async def running_desk(server: Any, factory: sessionmaker[Session], config: Config) -> AsyncIterator[None]:
    """The real Application as `bulletin-bot run` composes it (default extensions: access, receipts, desk) plus a
    fast-polling push runner."""
    settings = PushSettings(
        poll_interval=0.1, progress_interval=60.0, private_interval=0.0, group_interval=0.0, ack_button=True
    )
    extensions = [*default_extensions(config), push_extension(settings)]
    app = build_application(config, session_factory=factory, extensions=extensions)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        yield


class Admin(ChatUser):
    """An admin in their private chat with the bot."""

    async def upload(self, filename: str, data: bytes, expect: int = 2) -> list[Any]:
        """Send a document; return the EXPECT messages the bot answers with."""
        before = len(self.messages())
        self.server.send_document(TOKEN, self.chat_id, self.user_id, filename, data)
        assert await self.server.await_for(lambda: len(self.messages()) >= before + expect), (
            f"no answer to {filename}; got {[m.text for m in self.messages()[before:]]}"
        )
        return self.messages()[before:]

    async def press_and_wait(self, message: Any, label: str, predicate: Any, expect: int = 0) -> dict[str, Any]:
        answer = await self.press(self.current(message), label, expect=expect)
        assert await self.server.await_for(predicate), f"nothing happened after pressing {label!r}"
        return answer

    def current(self, message: Any) -> Any:
        return self.message(message.message_id)


@contextlib.asynccontextmanager
async def web_server(routes: dict[str, Any]) -> AsyncIterator[str]:
    """A local HTTP server with ROUTES (path -> aiohttp handler); yields its base URL."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def slow(request: web.Request) -> web.StreamResponse:
    """Answers after 3 s: longer than the tests' url_timeout."""
    await asyncio.sleep(3)
    return web.Response(text="late", content_type="text/plain")
