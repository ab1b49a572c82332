"""Logging for the command line: one format, and the bot token and webhook secret masked in every record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from urllib.parse import quote

from config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries that talk at INFO on every start or request: alembic names each of its plugins whenever it is imported,
# httpx logs every request (every long poll), matplotlib its font cache. Below DEBUG only their warnings are shown.
CHATTY_LIBRARIES = ("alembic", "httpx", "httpcore", "matplotlib")

# Exceptions that are the world's fault, not a bug: the network, the Bot API's availability, the database server.
# Below DEBUG a log record carrying one shows its message and the exception's one line, not the traceback.
# (top-level package, class name); matched along the exception's MRO, so nothing is imported to check.
OPERATIONAL_ERRORS = frozenset({
    ("telegram", "NetworkError"),  # TimedOut and BadGateway are NetworkErrors too
    ("httpx", "TransportError"),
    ("sqlalchemy", "OperationalError"),
    ("sqlalchemy", "InterfaceError"),
    ("psycopg", "OperationalError"),
    ("builtins", "ConnectionError"),
})


def is_operational(exc: BaseException) -> bool:
    """Whether EXC is a network or database-availability failure (see OPERATIONAL_ERRORS)."""
    return any((cls.__module__.split(".")[0], cls.__name__) in OPERATIONAL_ERRORS for cls in type(exc).__mro__)


def one_line(exc: BaseException) -> str:
    """EXC as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class OperationalTraceback(logging.Filter):
    """Below DEBUG, a record about a network or database outage shows one line instead of a traceback, once.

    "Exception happened while polling for updates" followed by 80 lines of httpx internals, every few seconds while
    the network is down, hides the one fact the operator needs. The same outage line again within REPEAT_AFTER
    seconds is dropped (PTB retries with backoff up to 30 s apart). `--debug` (or [logging] level = "DEBUG") keeps
    every record and its traceback.
    """

    REPEAT_AFTER = 300.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._last: tuple[str, float] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not is_operational(exc):
            return True
        line = f"{record.getMessage()}: {one_line(exc)}"
        now = self._clock()
        if self._last is not None and self._last[0] == line and now - self._last[1] < self.REPEAT_AFTER:
            return False
        self._last = (line, now)
        record.msg, record.args = line, None
        record.exc_info, record.exc_text = None, None
        return True


def token_mask(token: str) -> str:
    """What stands for a bot token in the logs: its bot id (public: it is the bot's user id) and asterisks."""
    bot_id, sep, _ = token.partition(":")
    return f"{bot_id}:***" if sep and bot_id.isdigit() else "***"


class SecretMask(logging.Filter):
    """Replaces each secret wherever it appears in a record: message, arguments, traceback and stack.

    The Bot API puts the token in every request URL, which httpx logs at INFO/DEBUG ("HTTP Request: POST
    .../bot<token>/getMe") and PTB logs at DEBUG ("Set Bot API URL"); PTB also logs setWebhook's parameters,
    the secret among them, at DEBUG. Installed on the handlers, so records from every logger pass through it.
    """

    def __init__(self, replacements: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        pairs: dict[str, str] = {}
        for secret, mask in replacements:
            if secret:
                pairs[secret] = mask
                pairs[quote(secret, safe="")] = mask  # as it appears percent-encoded in a URL
        self._pairs = sorted(pairs.items(), key=lambda pair: -len(pair[0]))

    def _mask(self, text: str) -> str:
        for secret, mask in self._pairs:
            text = text.replace(secret, mask)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._pairs:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as it would
            return True
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._mask(record.stack_info)
        return True


def configure_logging(config: Config, *, debug: bool = False) -> None:
    """Log to stderr at [logging] level (DEBUG with DEBUG), with the token and the webhook secret masked.

    Below DEBUG the chatty libraries show only their warnings and outages show no traceback.
    """
    level = "DEBUG" if debug else config.logging.level.upper()
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger().setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)
    telegram = config.telegram
    filters: list[logging.Filter] = [
        SecretMask([(telegram.token, token_mask(telegram.token)), (telegram.secret_token, "***")])
    ]
    if level != "DEBUG":
        filters.insert(0, OperationalTraceback())
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretMask | OperationalTraceback)]:
            handler.removeFilter(old)
        for new in filters:
            handler.addFilter(new)
