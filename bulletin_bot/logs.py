"""Logging for the command line: one format, and the bot token and webhook secret masked in every record."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

from config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


def configure_logging(config: Config) -> None:
    """Log to stderr at [logging] level, with the token and the webhook secret masked at every level."""
    logging.basicConfig(level=config.logging.level.upper(), format=FORMAT)
    telegram = config.telegram
    mask = SecretMask([(telegram.token, token_mask(telegram.token)), (telegram.secret_token, "***")])
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretMask)]:
            handler.removeFilter(old)
        handler.addFilter(mask)
