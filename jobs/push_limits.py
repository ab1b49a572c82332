"""Client-side rate limiting for pushes: an overall rate on a fixed grid, plus per-chat spacing.

Telegram (and localbotapi) count sends in a sliding one-second window, by the time each request is handled.
See RateLimiter for how our sends stay within it whatever the network delay.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Ticket:
    """One send let through by a RateLimiter; `done()` it when the answer (or error) came back."""

    __slots__ = ("finished", "finished_at")

    def __init__(self) -> None:
        self.finished = asyncio.Event()
        self.finished_at = 0.0


class RateLimiter:
    """At most `rate` sends per second as the server counts them; `pause()` holds everyone (after a 429).

    Sends are spaced on a grid of (1 + margin) / rate seconds. Because requests reach the server after a variable
    delay (new connections, a busy machine), the dispatch time alone does not bound what the server sees; so the
    n-th send also waits until the send `floor(rate)` places before it has been *answered*, plus one window.
    The server handled that earlier request before it answered, and handles the new one after it is sent, so
    the two are always more than one window apart in the server's own clock: no sliding window ever holds more
    than floor(rate) of our sends.
    """

    def __init__(
        self, rate: float, *, margin: float = 0.01, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = (1.0 + margin) / rate
        self.window = 1.0 + margin
        self.burst = max(1, math.floor(rate))
        self._catch_up = min(16 * self.interval, 0.05)
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._recent: collections.deque[Ticket] = collections.deque()

    def pause(self, seconds: float) -> None:
        """Let nobody through for SECONDS from now (Telegram's retry_after)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, self._paused_until)

    async def acquire(self) -> Ticket:
        """Wait for this caller's slot on the grid and for the window; the returned ticket must be done()."""
        now = self._clock()
        # Reserved without awaiting in between, so concurrent callers get distinct slots. A slot may lie a little
        # in the past (the event loop woke the previous caller late): without that catch-up, timer slack at
        # 1000/s lowered the rate by 5%. The window rule below still bounds every sliding window.
        slot = max(now - self._catch_up, self._next, self._paused_until)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)
        ticket = Ticket()
        # Taking our place in the queue now (no await since the check) keeps the order of the grid.
        if len(self._recent) >= self.burst:
            earlier = self._recent[len(self._recent) - self.burst]
        else:
            earlier = None
        self._recent.append(ticket)
        if len(self._recent) > self.burst:
            self._recent.popleft()
        while True:
            wait = self._paused_until - self._clock()
            if earlier is not None:
                if not earlier.finished.is_set():
                    await earlier.finished.wait()
                wait = max(wait, earlier.finished_at + self.window - self._clock())
            if wait <= 0:
                return ticket
            await self._sleep(wait)

    def done(self, ticket: Ticket) -> None:
        """The request of TICKET was answered (or failed)."""
        ticket.finished_at = self._clock()
        ticket.finished.set()


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

    def done(self, chat_id: int) -> None:
        """The request to CHAT_ID was answered: count its spacing from now (the server saw it before)."""
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), self._clock() + self._interval(chat_id))

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
