"""Who is asking: the Mini App's initData (validated on every request) or a signed session cookie.

Both are checked without the database and without any state in the process, so any number of reader processes
can serve the same users: the session cookie is signed with a key derived from the bot token, which every process
of one bot has, and a sign-in link is a row in the shared database (jobs/reader.py). Whether the user is still an
active subscriber is then looked up in the request's unit of work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import unquote

from web.initdata import InitDataError, Refusal, WebAppUser, validate

# The Mini App's initData, put into a cookie by static/reader.js from the URL fragment Telegram opens it with, so
# that it reaches the server with every request and is validated on every one.
INIT_DATA_COOKIE = "tma"
SESSION_COOKIE = "session"


@dataclass(frozen=True)
class Identity:
    """What the request's credentials say: a chat id (None: none given), how (initData or session), the Telegram
    user's language, or why the Mini App's initData was refused."""

    chat_id: int | None = None
    via: str = ""
    language_code: str | None = None
    refusal: Refusal | None = None


def session_key(bot_token: str) -> bytes:
    """The key session cookies are signed with: derived from the bot token, the same in every process."""
    return hmac.new(b"bulletin-bot web session", bot_token.encode(), hashlib.sha256).digest()


def sign_session(key: bytes, chat_id: int, expires: dt.datetime) -> str:
    """A session cookie value for CHAT_ID, valid until EXPIRES."""
    body = f"{chat_id}.{int(expires.timestamp())}"
    return body + "." + hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def read_session(key: bytes, value: str, *, now: dt.datetime) -> int | None:
    """The chat id of a genuine, unexpired session cookie VALUE, else None."""
    body, _, signature = value.rpartition(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return None
    chat, _, expires = body.partition(".")
    try:
        chat_id, until = int(chat), int(expires)
    except ValueError:
        return None
    return chat_id if now.timestamp() < until else None


def identify(
    cookies: dict[str, str], *, bot_token: str, key: bytes, now: dt.datetime, max_age: dt.timedelta
) -> Identity:
    """The identity the request's COOKIES carry. initData, when present, decides alone: a forged or stale one is a
    refusal even beside a valid session, so a Mini App never shows content on bad initData."""
    init_data = cookies.get(INIT_DATA_COOKIE)
    if init_data is not None:
        if not bot_token:
            return Identity(refusal=Refusal.BAD_HASH)
        try:
            # reader.js stores initData with encodeURIComponent (cookie values cannot hold ';' or ',').
            user: WebAppUser = validate(unquote(init_data), bot_token, now=now, max_age=max_age)
        except InitDataError as exc:
            return Identity(refusal=exc.reason)
        return Identity(user.id, "webapp", user.language_code)
    session = cookies.get(SESSION_COOKIE)
    if session and bot_token:
        chat_id = read_session(key, session, now=now)
        if chat_id is not None:
            return Identity(chat_id, "session")
    return Identity()
