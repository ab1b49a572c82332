"""One budget of messages per second for everything the bot process sends: replies in chat and pushes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.common.errors import retry_seconds
from jobs.push_limits import RateLimiter

log = logging.getLogger(__name__)

_ANSWER = "answerCallbackQuery"

# Methods Telegram counts against a bot's overall messages per second (the local server counts the same ones).
_COUNTED = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


def counts_against_budget(endpoint: str, data: dict[str, Any]) -> bool:
    """True when a request to ENDPOINT with DATA is a message Telegram counts in the bot's 30/s.

    Paid broadcasts (allow_paid_broadcast) count against Telegram's separate 1000/s limit instead.
    """
    if data.get("allow_paid_broadcast"):
        return False
    return endpoint in _COUNTED or (endpoint.startswith("send") and endpoint != "sendChatAction")


class SharedSendBudget(BaseRateLimiter[None]):
    """PTB rate limiter for the Application's bot, drawing on the same RateLimiter as the push while one runs.

    Without it, a reply sent while a push runs at the full 30/s makes Telegram answer someone with a 429. With
    it, a reply during a push takes a permit before any push message (and may use the permits the limiter keeps
    free for replies, sized from the replies of the last half minute, see RateLimiter), so it goes out at once
    while the push slows down by as much; a 429 that
    still happens (another process on the same token) pauses the push too. Outside pushes replies go straight
    out: taking permits then cost the 50-user reply benchmark its p99 (42 ms became 259 ms) for no 429 saved.
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def initialize(self) -> None:
        """Nothing to set up: the limiter needs no resources."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Take a permit for a counted message, make the request, give the permit back after the answer."""
        counted = counts_against_budget(endpoint, data)
        if not self.limiter.in_use or not counted:
            # No push running: replies alone stay far below the limit, and a rare burst over it is waited out
            # by the handlers (flood_safe); permits here would only queue replies behind each other. They are
            # still counted, so that a push starting now leaves them the permits they were using.
            if counted:
                self.limiter.note_reply()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                if self.limiter.in_use:
                    self.limiter.pause(seconds)  # edits, deletes and answers are flood-limited too: the push waits
                if endpoint == _ANSWER:
                    # A button's answer only matters while the client waits for it (seconds): skip it, so that
                    # the press itself still takes effect, instead of failing the handler.
                    log.warning("flood control on answerCallbackQuery (retry after %.0f s): answer skipped", seconds)
                    return True
                raise  # the handler's flood_safe waits and tries again
        ticket = await self.limiter.acquire(paced=False, urgent=True)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            self.limiter.pause(retry_seconds(exc))
            raise  # the handler's flood_safe waits and tries again
        finally:
            self.limiter.done(ticket)
