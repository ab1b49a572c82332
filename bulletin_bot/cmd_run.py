"""`bulletin-bot run`: the bot, by long polling (default) or behind a webhook."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import Update

from bulletin_bot.eventloop import settle_heap, use_uvloop
from bulletin_bot.startup import StopWaiting, check_bot_api, stop_waiting, token_rejected
from config import MISSING_SECRET, Config, ConfigError, webhook_url_problem

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode", choices=("polling", "webhook"), help="override [telegram] mode for this run"
    )


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Run the bot until SIGINT or SIGTERM (it stops cleanly on both)."""
    config = load()
    telegram = config.telegram
    if not telegram.token:
        raise ConfigError("telegram.token: required to run the bot (or set the env BULLETIN_BOT_TOKEN)")
    mode = args.mode or telegram.mode
    if mode == "webhook" and not telegram.webhook_url:
        raise ConfigError("telegram.webhook_url: required when telegram.mode = 'webhook'")
    if mode == "webhook" and not telegram.secret_token:
        raise ConfigError(MISSING_SECRET)
    if mode == "webhook" and (problem := webhook_url_problem(telegram.webhook_url, telegram.api_base_url)):
        raise ConfigError(problem)  # --mode webhook over a polling config: load_config did not check the URL

    from telegram.error import InvalidToken

    from bot.app import build_application  # late: telegram and the database are only needed here
    from bulletin_bot.cmd_push import bot_extensions, hold_leadership
    from storage.db import open_database

    # Until the bot runs, SIGTERM ends a wait (for the network, or standing by for leadership) cleanly.
    signal.signal(signal.SIGTERM, stop_waiting)
    reader = None
    try:
        check_bot_api(config)
        _engine, factory = open_database(config.database.url)  # a dead database: one line from the CLI, exit 1
        # One process polls and sends: on PostgreSQL the others stand by; on SQLite a second one refuses to start.
        leadership = hold_leadership(config)
        if leadership is None:
            return 1
        extensions = bot_extensions(config, leadership)
        if config.web.enabled:
            from bulletin_bot.cmd_web import reader_extension

            # Polling: the reader on [web] listen_host:listen_port beside the bot. Webhook: one server on [telegram]
            # listen_host:listen_port for both, the webhook a route of the reader (web/webhook.py).
            reader, extension = reader_extension(config, factory, webhook=mode == "webhook")
            if extension is not None:
                extensions.append(extension)
        application = build_application(config, session_factory=factory, extensions=extensions)
        if reader is not None:
            reader.attach(application)
    except StopWaiting:
        return 0
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # PTB and the webhook loop install their own handlers
    use_uvloop()  # before run_polling/run_webhook create the loop
    settle_heap()
    try:
        _run(application, config, mode, reader)
    except InvalidToken:
        raise ConfigError(token_rejected("Unauthorized")) from None
    return 0


def _run(application: Any, config: Config, mode: str, reader: Any = None) -> None:
    telegram = config.telegram
    if mode == "webhook":
        log.info("webhook mode: listening on %s:%s, public URL %s", telegram.listen_host, telegram.listen_port,
                 telegram.webhook_url)
        _serve_webhook(application, config, reader.server if reader is not None else None)
    else:
        log.info("polling mode: %s", telegram.api_base_url)
        # bootstrap_retries=-1: a network drop between the start-up check and the first call is retried too.
        application.run_polling(timeout=telegram.poll_timeout, allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)


def _serve_webhook(application: Any, config: Config, server: Any = None) -> None:
    """The bot behind its webhook (bot.app.running_webhook) until SIGINT, SIGTERM or Application.stop_running().

    Shaped like PTB's own run_webhook: the loop runs forever and whatever stops it (a signal, or the push runner's
    stop_running() when leadership is lost, which stops the running loop) leads to a clean shutdown.
    """
    from bot.app import running_webhook

    telegram = config.telegram
    running = running_webhook(
        application,
        listen=telegram.listen_host,
        port=telegram.listen_port,
        url_path=urlsplit(telegram.webhook_url).path,
        webhook_url=telegram.webhook_url,
        secret_token=telegram.secret_token,
        server=server,
    )
    loop = asyncio.new_event_loop()  # through the policy: uvloop where use_uvloop() set it
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(running.__aenter__())
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, loop.stop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(running.__aexit__(None, None, None))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()
