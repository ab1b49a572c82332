"""The start-up check of the commands that talk to Telegram (`run`, `push-worker`): wait for the Bot API, refuse a
wrong token. Its own module so that both commands share it without importing each other."""

from __future__ import annotations

import logging
import signal
import sys

from config import Config, ConfigError

log = logging.getLogger(__name__)


def token_rejected(description: str) -> str:
    """The one line for a token the Bot API does not know (`run` exits 2 with it)."""
    return f"telegram.token: the Bot API rejected this token ({description}); get the right one from @BotFather"


class StopWaiting(Exception):
    """SIGTERM arrived while `run` was waiting for the Bot API."""


def stop_waiting(_signum: int, _frame: object) -> None:
    raise StopWaiting


def check_bot_api(config: Config, command: str = "run") -> None:
    """Wait until the Bot API answers getMe (one line per problem, bounded backoff); a refused token: ConfigError.

    Without network the bot keeps trying instead of exiting, so a machine that boots before its network (or a
    Telegram outage) needs nobody to restart it; a wrong token will never work and exits 2 at once. COMMAND names
    the command in those lines (`run`, `push-worker`).
    """
    from bulletin_bot.botapi import BotApi, BotApiError, wait_for_bot_api

    def say(line: str) -> None:
        print(f"bulletin-bot {command}: {line}", file=sys.stderr, flush=True)

    telegram = config.telegram
    try:
        me = wait_for_bot_api(BotApi(telegram.api_base_url, telegram.token), say)
    except BotApiError as exc:
        raise ConfigError(token_rejected(exc.description)) from None
    log.info("the Bot API answers: this is @%s", me.get("username"))


def bot_api_ready(config: Config, command: str) -> bool:
    """check_bot_api for a command whose event loop has not started: SIGTERM ends the wait (False: exit 0)."""
    previous = signal.signal(signal.SIGTERM, stop_waiting)
    try:
        check_bot_api(config, command)
    except StopWaiting:
        return False
    finally:
        signal.signal(signal.SIGTERM, previous)
    return True
