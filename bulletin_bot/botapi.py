"""A few Bot API calls for the operator's commands (init, doctor, run's start-up check), outside the bot.

These run before (or without) the bot's Application: plain synchronous HTTP with httpx, no python-telegram-bot,
so `init` and `doctor` start quickly and the answers are Telegram's own JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bulletin_bot.logs import token_mask


class BotApiError(Exception):
    """Telegram answered with ok=false (CODE is its error_code: 401 for a token it does not know)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description

    @property
    def token_rejected(self) -> bool:
        """The Bot API does not know this token (401 Unauthorized; 404 for a malformed one)."""
        return self.code in (401, 404)


class BotApiUnreachable(Exception):
    """No answer from the Bot API: no network, DNS, a refused connection or a timeout."""


@dataclass(frozen=True)
class BotApi:
    """The Bot API at BASE_URL ("https://api.telegram.org/bot") for TOKEN."""

    base_url: str
    token: str
    timeout: float = 15.0

    def call(self, method: str, *, http_timeout: float | None = None, **params: Any) -> Any:
        """METHOD's result; BotApiError when Telegram refuses it, BotApiUnreachable when there is no answer."""
        wait = self.timeout if http_timeout is None else http_timeout
        try:
            response = httpx.post(f"{self.base_url}{self.token}/{method}", json=params, timeout=wait)
        except httpx.HTTPError as exc:
            # The request URL carries the token: never let it reach the message.
            reason = str(exc).replace(self.token, token_mask(self.token)) or type(exc).__name__
            raise BotApiUnreachable(f"{type(exc).__name__}: {reason}") from None
        try:
            body = response.json()
        except ValueError:
            raise BotApiUnreachable(f"HTTP {response.status_code} without a Bot API answer") from None
        if not isinstance(body, dict) or "ok" not in body:
            raise BotApiUnreachable(f"HTTP {response.status_code} without a Bot API answer")
        if not body["ok"]:
            raise BotApiError(int(body.get("error_code") or response.status_code), str(body.get("description", "")))
        return body.get("result")


def backoff_delays(first: float = 1.0, cap: float = 60.0) -> Callable[[], float]:
    """Successive waits between retries: FIRST, doubling, at most CAP seconds (bounded, never zero)."""
    delay = first / 2

    def next_delay() -> float:
        nonlocal delay
        delay = min(cap, delay * 2)
        return delay

    return next_delay


class Caller(Protocol):
    """What wait_for_bot_api needs of a BotApi (tests pass a fake)."""

    @property
    def base_url(self) -> str: ...

    def call(self, method: str, *, http_timeout: float | None = None, **params: Any) -> Any: ...


def wait_for_bot_api(
    api: Caller, report: Callable[[str], None], *, first: float = 1.0, cap: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """getMe until it answers: REPORT one line when the Bot API cannot be reached (and when the reason changes).

    Retries with bounded exponential backoff (FIRST, doubling, at most CAP seconds); returns the bot's User.
    A refused token is not retried: BotApiError propagates.
    """
    delays = backoff_delays(first, cap)
    last_reason: str | None = None
    while True:
        try:
            me: dict[str, Any] = api.call("getMe")
        except (BotApiUnreachable, BotApiError) as exc:
            if isinstance(exc, BotApiError) and exc.token_rejected:
                raise
            # Anything else (a 5xx from a proxy, 429) is passing: wait and try again, as for no network.
            reason = str(exc)
            if reason != last_reason:
                report(f"cannot reach the Bot API at {api.base_url} ({reason}); retrying, at most every {cap:.0f} s")
                last_reason = reason
            sleep(delays())
            continue
        if last_reason is not None:
            report(f"reached the Bot API at {api.base_url} again")
        return me
