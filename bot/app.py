"""The composition root: the PTB Application with the features' handlers, database and background services.

The only module that imports the features (bot/features/). Each feature is an `ExtensionFactory`
(bot/common/feature.py): given the config and the session factory it returns its handlers and background
services; `default_extensions(config)` lists the features `bulletin-bot run` starts with, and a caller may pass
more (the push's `push_extension`). Handlers are added in the order of the list, then the catch-alls: a private
text no feature claimed is an unknown command or a search (reading.private_text), a button no feature claimed is
answered "expired".
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker
from telegram import BotCommand, Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    Updater,
    filters,
)

from bot.aiohttp_request import AiohttpRequest
from bot.common.chat import expired_button, on_error
from bot.common.context import CONTEXT_TYPES, BackgroundService, BotData, Deps
from bot.common.feature import ExtensionFactory
from bot.common.outbox import API_READ_TIMEOUT
from bot.features import access, corrections, desk, reading, receipts, watch, webapp
from bot.send_budget import SharedSendBudget
from bot.updates import PerChatOrderedProcessor
from bot.webhook import WebhookListener
from bulletin.i18n import EN, ZH, t
from config import Config, ConfigError
from jobs.publications import configure as configure_publications
from jobs.push_limits import RateLimiter
from storage.db import open_database
from storage.issue_cache import IssueCache

log = logging.getLogger(__name__)

COMMANDS: tuple[str, ...] = (
    "start", "help", "subscribe", "unsubscribe", "settings", "latest", "issues", "issue", "article", "search", "web",
    "whoami",
)


def default_extensions(config: Config) -> list[ExtensionFactory]:
    """The features `bulletin-bot run` starts with (the push's factory is added by the caller).

    The desk comes first: while an admin is asked for a time or a field, their typed text is the desk's.
    Access comes before reading: `/start inv_<code>` is an invite link, any other /start is reading's.
    """
    return [
        desk.desk_extension, corrections.corrections_extension, access.access_extension, reading.extension,
        receipts.receipts_extension, watch.watch_extension, webapp.webapp_extension,
    ]


def file_base_url(api_base_url: str) -> str:
    """The file download base for a Bot API base URL ("…/bot" -> "…/file/bot")."""
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def build_application(
    config: Config,
    *,
    session_factory: sessionmaker[Session] | None = None,
    extensions: Sequence[ExtensionFactory] | None = None,
    max_concurrent_updates: int = 256,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot: handlers, error handler, command menu and extensions, on the configured Bot API server.

    Without SESSION_FACTORY the configured database is opened (created and migrated) here, not at import.
    """
    if session_factory is None:
        _engine, session_factory = open_database(config.database.url)
    # [publications]' short names and defaults, written where lookups and pushes read them.
    configure_publications(session_factory, config)
    # One budget for the process: replies in chat and pushes (unless paid) share Telegram's messages per second.
    # A sixth of the permits is kept free for replies while people are using the bot during a push.
    send_budget = RateLimiter(config.push.rate_per_second, reserve=math.floor(config.push.rate_per_second) // 6)
    application = (
        ApplicationBuilder()
        .token(config.telegram.token)
        .base_url(config.telegram.api_base_url)
        .base_file_url(file_base_url(config.telegram.api_base_url))
        # aiohttp rather than PTB's default httpx, for replies as for pushes: httpx's pool checked every idle
        # connection on each request (encode/httpx#3215) and was 70% of the bot's CPU at 50 busy users. A reply
        # Telegram holds for seconds is waited for, not lost or re-sent (API_READ_TIMEOUT); the long poll keeps
        # PTB's defaults, and Bot.get_updates adds the poll's own timeout to its read timeout.
        .request(
            AiohttpRequest(connection_pool_size=256, read_timeout=API_READ_TIMEOUT, write_timeout=API_READ_TIMEOUT)
        )
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .concurrent_updates(PerChatOrderedProcessor(max_concurrent_updates))
        .rate_limiter(SharedSendBudget(send_budget))
        .job_queue(None)  # PTB would start its own APScheduler (it is installed); timed work is jobs/leader.py's
        .post_init(startup)
        .post_shutdown(stop_services)
        .context_types(CONTEXT_TYPES)
        .build()
    )
    data: BotData = application.bot_data
    data.deps = Deps(
        config=config, session_factory=session_factory, send_budget=send_budget, issue_cache=IssueCache()
    )
    for make in default_extensions(config) if extensions is None else extensions:
        extension = make(config, session_factory)
        for handler in extension.handlers:
            application.add_handler(handler)
        data.services.extend(extension.services)
        for part in extension.state:
            data.put(part)
    # Last: anything else typed in a private chat is an unknown command or a search; in groups only an unknown
    # command addressed to the bot gets an answer.
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, reading.private_text))
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND & filters.UpdateType.MESSAGE, reading.group_command)
    )
    application.add_handler(CallbackQueryHandler(expired_button))
    application.add_error_handler(on_error)
    return application


def command_menu(lang: str) -> list[BotCommand]:
    """The command menu in LANG."""
    return [BotCommand(name, t(lang, f"cmd_{name}")) for name in COMMANDS]


async def set_command_menu(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the command menu: Chinese as the default, plus explicit zh and en lists."""
    bot = application.bot
    await bot.set_my_commands(command_menu(ZH))
    await bot.set_my_commands(command_menu(ZH), language_code="zh")
    await bot.set_my_commands(command_menu(EN), language_code="en")


def _services(application: Application[Any, Any, Any, Any, Any, Any]) -> list[BackgroundService]:
    data = application.bot_data
    return list(data.services) if isinstance(data, BotData) else []


async def startup(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_init: set the command menu and start the extensions' background services."""
    try:
        await set_command_menu(application)
    except NetworkError as exc:
        # The network dropped right after start-up: the bot runs on (polling retries), the menu waits a restart.
        log.warning("could not register the command menu (%s); the bot runs without it until its next start", exc)
    for service in _services(application):
        await service.start(application)


async def stop_services(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_shutdown: stop the background services, newest first."""
    for service in reversed(_services(application)):
        try:
            await service.stop()
        except Exception:
            log.exception("background service %r failed to stop", service)


@contextlib.asynccontextmanager
async def _running(
    application: Application[Any, Any, Any, Any, Any, Any],
    start_receiving: Callable[[], Awaitable[Any]],
    stop_receiving: Callable[[], Awaitable[Any]],
) -> AsyncIterator[None]:
    """Start APPLICATION, its services and the receiving of updates; stop all of it in reverse on exit."""
    await application.initialize()
    await startup(application)
    await application.start()
    try:
        await start_receiving()
        try:
            yield
        finally:
            await stop_receiving()
    finally:
        await application.stop()
        await stop_services(application)
        await application.shutdown()


def _updater(application: Application[Any, Any, Any, Any, Any, Any]) -> Updater:
    assert application.updater is not None
    return application.updater


def running_polling(
    application: Application[Any, Any, Any, Any, Any, Any], *, poll_interval: float = 0.0, timeout: int = 1
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run APPLICATION with long polling inside the caller's event loop (tests, the sandbox, benchmarks)."""
    updater = _updater(application)
    return _running(application, lambda: updater.start_polling(
        poll_interval=poll_interval, timeout=timeout, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
    ), updater.stop)


class WebhookServer(Protocol):
    """What serves the webhook: bot/webhook.py's listener, or the web reader's server with the webhook route."""

    async def start(self, listen: str, port: int) -> None: ...

    async def stop(self) -> None: ...


def running_webhook(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    listen: str,
    port: int,
    url_path: str,
    webhook_url: str,
    secret_token: str,
    server: WebhookServer | None = None,
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run APPLICATION behind a webhook inside the caller's event loop (`bulletin-bot run` and the tests).

    The listener is bot/webhook.py's, not PTB's Updater: it refuses a request without SECRET_TOKEN (required) from
    its headers, before reading its body, and caps the body's size; or SERVER, the web reader's server with the
    webhook as one of its routes (web/webhook.py, the same checks). It is bound before the webhook is set, so
    Telegram's first delivery finds it listening.
    """
    listener = server or WebhookListener(application, url_path=url_path, secret_token=secret_token)

    async def start() -> None:
        await listener.start(listen, port)
        try:
            await application.bot.set_webhook(
                url=webhook_url, secret_token=secret_token, allowed_updates=Update.ALL_TYPES
            )
        except BadRequest as exc:
            # e.g. "bad webhook: An HTTPS URL must be provided for webhook" from a server without --local
            await listener.stop()
            raise ConfigError(f"telegram.webhook_url: the Bot API server refused {webhook_url!r}: {exc}") from None
        except BaseException:
            await listener.stop()
            raise
        log.info("webhook set: %s", webhook_url)

    return _running(application, start, listener.stop)
