"""Telegram Mini App initData: validation exactly as Telegram specifies, and the signer the tests use.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the data-check-string is every
received field except `hash`, as `key=value` (values URL-decoded), sorted by key and joined by "\\n"; the secret key
is HMAC-SHA-256 of the bot token with the key "WebAppData"; the data is genuine when the hex HMAC-SHA-256 of the
data-check-string under the secret key equals `hash`. `auth_date` (Unix time) says when the Mini App was opened;
data older than the allowed age is refused, so a leaked initData stops working. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

# initData is a few hundred bytes (user JSON with names and a photo URL); anything far larger is not Telegram's.
MAX_INIT_DATA_CHARS = 8192
# Clocks differ: auth_date a little in the future is the user's clock or ours, not a forgery.
CLOCK_SKEW = dt.timedelta(minutes=5)


class Refusal(enum.Enum):
    """Why initData was refused (the refusal page names it)."""

    MISSING = "missing"  # no initData at all
    MALFORMED = "malformed"  # not a query string, a field twice, no user, too long
    NO_HASH = "no_hash"
    BAD_HASH = "bad_hash"  # forged, tampered, or signed for another bot
    STALE = "stale"  # auth_date too old (or from the future)


class InitDataError(Exception):
    """initData failed validation; REASON says why."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """The Telegram user a valid initData names."""

    id: int
    first_name: str
    language_code: str | None
    auth_date: dt.datetime


def secret_key(bot_token: str) -> bytes:
    """HMAC-SHA-256 of the bot token under the key "WebAppData"."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """FIELDS other than hash as sorted key=value lines."""
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def _fields(init_data: str) -> dict[str, str]:
    if not init_data:
        raise InitDataError(Refusal.MISSING)
    if len(init_data) > MAX_INIT_DATA_CHARS:
        raise InitDataError(Refusal.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True, max_num_fields=64)
    except ValueError:
        raise InitDataError(Refusal.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a field given twice: which one would the hash cover?
        raise InitDataError(Refusal.MALFORMED)
    return fields


def validate(init_data: str, bot_token: str, *, now: dt.datetime, max_age: dt.timedelta) -> WebAppUser:
    """The user of INIT_DATA (the raw query string Telegram gives the Mini App) when it is genuine and fresh.

    Raises InitDataError naming the reason otherwise. The hash is checked before any field is trusted.
    """
    fields = _fields(init_data)
    given = fields.get("hash")
    if not given:
        raise InitDataError(Refusal.NO_HASH)
    expected = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    # Bytes, so a hash with non-ASCII characters is a mismatch rather than compare_digest's TypeError.
    if not hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "replace")):
        raise InitDataError(Refusal.BAD_HASH)
    try:
        auth_date = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user = json.loads(fields["user"])
        user_id = user["id"]
        first_name = str(user.get("first_name", ""))
        language = user.get("language_code")
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataError(Refusal.MALFORMED) from None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InitDataError(Refusal.MALFORMED)
    if not now - max_age <= auth_date <= now + CLOCK_SKEW:
        raise InitDataError(Refusal.STALE)
    return WebAppUser(user_id, first_name, language if isinstance(language, str) else None, auth_date)


def sign(fields: dict[str, str], bot_token: str) -> str:
    """FIELDS (with auth_date) as an initData query string signed for BOT_TOKEN: what Telegram hands a Mini App.

    For tests, the sandbox and the benchmark; the reader itself only validates.
    """
    digest = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})
