"""Client-side rate limiting for pushes: an overall rate on a fixed grid, plus per-chat spacing.

Telegram (and localbotapi) count sends in a sliding one-second window. Sends are spaced on a fixed grid of
(1 + margin) / rate seconds, and, as a second guard against event-loop lag bunching them up, no more than
floor(rate) sends are let out within any (1 + margin) seconds. Both use a monotonic clock; the margin (2 %)
absorbs jitter between our clock and the server's arrival times.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """At most `rate` acquisitions per second, evenly spaced; `pause()` holds everyone (after a 429)."""

    def __init__(
        self, rate: float, *, margin: float = 0.02, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = (1.0 + margin) / rate
        self.window = 1.0 + margin
        self.burst = max(1, math.floor(rate))
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._recent: collections.deque[float] = collections.deque(maxlen=self.burst)

    def pause(self, seconds: float) -> None:
        """Let nobody through for SECONDS from now (Telegram's retry_after)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, self._paused_until)

    async def acquire(self) -> None:
        """Wait for this caller's slot on the grid, then for room in the sliding window."""
        now = self._clock()
        # Reserved without awaiting in between, so concurrent callers get distinct slots.
        slot = max(now, self._next, self._paused_until)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)
        while True:
            now = self._clock()
            wait = self._paused_until - now
            if len(self._recent) == self.burst:
                wait = max(wait, self._recent[0] + self.window - now)
            if wait <= 0:
                break
            await self._sleep(wait)
        self._recent.append(now)


class ChatSpacing:
    """Minimum spacing between two sends to one chat: 1 s for private chats, 20 per minute for groups."""

    def __init__(
        self,
        *,
        private_interval: float = 1.05,
        group_interval: float = 60.0 / 20 * 1.05,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.private_interval = private_interval
        self.group_interval = group_interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int, float] = {}
        self._last_prune = clock()

    def _interval(self, chat_id: int) -> float:
        # Negative ids are groups, supergroups and channels; Telegram's group limit applies to all of them.
        return self.group_interval if chat_id < 0 else self.private_interval

    async def acquire(self, chat_id: int) -> None:
        """Wait until CHAT_ID may receive another message, and reserve the slot after it."""
        while True:
            now = self._clock()
            ready = self._next.get(chat_id, 0.0)
            if ready <= now:
                self._next[chat_id] = now + self._interval(chat_id)
                break
            await self._sleep(ready - now)
        if now - self._last_prune > 10.0:
            # Forget chats whose spacing has long expired, so memory stays flat on big pushes.
            self._next = {c: t for c, t in self._next.items() if t > now}
            self._last_prune = now
