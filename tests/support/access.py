"""Support for the access end-to-end tests (no tests here): config in each [access] mode, the real Application
polling or behind a webhook on a local Bot API server with an admin, and database look-ups of what happened."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_application, running_polling, running_webhook
from config import AccessConfig, Config, TelegramConfig
from storage.access_repo import AuditEntry, AuditLog, RequestRepository, SubscriptionRequest
from storage.db import transaction
from storage.subscribers import Subscriber, SubscriberRepository
from support.bot import DEPARTMENTS, TOKEN, ChatUser, free_port, started_server

ADMIN = 900
ADMIN_ONLY = "抱歉，此功能仅限管理员使用。"  # what a non-admin is told
SECOND_ADMIN = 901
WEBHOOK_SECRET = "access_Secret-token"


def access_config(server: Any, *, mode: str = "open", rate: int = 20, admins: tuple[int, ...] = (ADMIN,)) -> Config:
    """The bot's config for these tests: [access] MODE, ADMINS and a command rate limit of RATE per minute."""
    return Config(
        telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url(), poll_timeout=1),
        access=AccessConfig(admins=admins, departments=DEPARTMENTS, mode=mode, rate_limit_per_minute=rate),
    )


@contextlib.contextmanager
def access_server() -> Iterator[Any]:
    """The e2e server (users 张三, Alice, 李四 and a group) plus two office staff, 王主任 and 赵科长."""
    with started_server() as server:
        server.add_user(ADMIN, "王主任", language_code="zh-hans")
        server.add_user(SECOND_ADMIN, "赵科长", language_code="zh-hans")
        yield server


@contextlib.asynccontextmanager
async def polling_bot(config: Config, factory: sessionmaker[Session]) -> AsyncIterator[Any]:
    """The real Application (default extensions) polling the local server."""
    app = build_application(config, session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        yield app


@contextlib.asynccontextmanager
async def webhook_bot(config: Config, factory: sessionmaker[Session]) -> AsyncIterator[str]:
    """The real Application behind its webhook listener; yields the webhook URL (anyone can POST to it)."""
    app = build_application(config, session_factory=factory)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    async with running_webhook(
        app, listen="127.0.0.1", port=port, url_path="telegram-hook", webhook_url=url, secret_token=WEBHOOK_SECRET
    ):
        try:
            yield url
        finally:
            await app.bot.delete_webhook()


def subscriber(factory: sessionmaker[Session], chat_id: int) -> Subscriber | None:
    with transaction(factory) as s:
        return SubscriberRepository(s).get(chat_id)


def audit(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with transaction(factory) as s:
        return AuditLog(s).recent(100)


def pending_requests(factory: sessionmaker[Session]) -> list[SubscriptionRequest]:
    with transaction(factory) as s:
        return RequestRepository(s).pending()


async def next_message(user: ChatUser, before: int, contains: str) -> Any:
    """Wait for a message containing CONTAINS among those USER's chat got after the first BEFORE."""
    assert await user.server.await_for(lambda: any(contains in (m.text or "") for m in user.new_since(before))), (
        f"no message with {contains!r}; got {[m.text for m in user.new_since(before)]}"
    )
    return next(m for m in user.new_since(before) if contains in (m.text or ""))
