"""Client-side rate limiting for pushes: an overall rate (sliding window, optionally on a grid), plus per-chat spacing.

Telegram (and localbotapi) count sends in a sliding one-second window, by the time each request is handled.
See RateLimiter for how our sends stay within it whatever the network delay.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Iterator

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Ticket:
    """One send let through by a RateLimiter; `done()` it when the answer (or error) came back."""

    __slots__ = ("returned", "urgent")

    def __init__(self, urgent: bool = False) -> None:
        self.returned = False
        self.urgent = urgent


class RateLimiter:
    """At most `rate` sends per second as the server counts them; `pause()` holds everyone (after a 429).

    The bound: there are floor(rate) permits. A send takes one before it goes out, and gives it back one window
    after its answer (or error) came back. The server handles a request after it was sent and before it is
    answered, so every request the server handles in a one-second window held its permit at the moment the
    latest of them was sent: a sliding window of the server's own clock never holds more than floor(rate) of our
    sends, whatever the network delay. `window_margin` (1 ms) only covers clock granularity and drift between
    the two machines; the bound itself needs none.

    Permits go to waiters first come, first served. A permit is counted from the moment a request starts, so the
    caller should hold everything else it needs (its connection slot) before `acquire()`.

    Replies in chat come first (`acquire(urgent=True)`): they are handed the next free permit before any push
    send, and a headroom is kept free for them beyond the permits they hold now, sized from their demand: the
    most replies sent in any one window over the last `demand_memory` seconds (`note_reply()` counts the
    replies sent while no push runs too), plus one, less what they hold now; and while replies have been sent
    in the last `urgent_hold` seconds, never less than `reserve`. A reply permit is held for a window after
    its answer, so what replies hold is the replies of the last window: a burst as large as the recent ones
    finds its permits free instead of waiting for push permits to come back one by one, and so do the users
    who were busy just before a push started (the push then starts at what they leave, instead of taking
    every permit and giving them back a window later). A fixed reserve of 5 made 50 busy users' p99 216 ms
    during a push. The push runs on what is left, so it slows down by the replies' peak, not their average;
    it always keeps at least `push_floor` permits (one by default: a message a second at worst; three, a tenth
    of 30/s, made twice as many replies wait when 50 users started writing at once), so it makes progress
    however busy the chat is; without replies in the last `demand_memory` seconds it has every permit.

    `smooth=True` also spaces sends on a grid of (1 + margin) / rate seconds, which spreads a slow push
    (30/s) evenly. `smooth=False` lets each window fill as fast as the sender can go: the first window is not
    paced at all, so a paid broadcast of N messages takes about N / rate - 1 windows plus the time the client
    needs to send one window's worth, and never breaks the bound above.
    """

    def __init__(
        self,
        rate: float,
        *,
        smooth: bool = True,
        margin: float = 0.01,
        window_margin: float = 0.001,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        reserve: int = 0,
        urgent_hold: float = 5.0,
        demand_memory: float = 30.0,
        push_floor: int | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = (1.0 + margin) / rate if smooth else 0.0
        self.window = 1.0 + window_margin
        self.burst = max(1, math.floor(rate))
        # Never every permit: the push must always be able to make progress.
        self.reserve = max(0, min(reserve, self.burst - 1))
        self.urgent_hold = urgent_hold
        self.demand_memory = demand_memory
        # What a push may always hold, replies or not (at most every permit but one, so replies keep one too).
        self.push_floor = max(1, min(push_floor or 1, self.burst - 1))
        self._urgent_until = -math.inf
        # Permits held by replies and by the push (taken, not yet come back); the replies of the last window;
        # and the peaks of that count over the last demand_memory seconds: (time, count) with decreasing
        # counts, so the first is the peak.
        self._held_urgent = 0
        self._held_push = 0
        self._replies: collections.deque[float] = collections.deque()
        self._reply_peaks: collections.deque[tuple[float, int]] = collections.deque()
        self._urgent_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._catch_up = min(16 * self.interval, 0.05)
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._permits = self.burst
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._engaged = 0

    @contextlib.contextmanager
    def engaged(self) -> Iterator[None]:
        """Mark the limiter as carrying a push for the length of the block (see `in_use`)."""
        self._engaged += 1
        try:
            yield
        finally:
            self._engaged -= 1

    @property
    def in_use(self) -> bool:
        """True while a push runs on this limiter; others sharing it (replies in chat) take permits only then."""
        return self._engaged > 0

    @property
    def available(self) -> int:
        """Permits free right now (for tests and progress reports)."""
        return self._permits

    def pause(self, seconds: float) -> None:
        """Let nobody through for SECONDS from now (Telegram's retry_after)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, self._paused_until)

    async def acquire(self, *, paced: bool = True, urgent: bool = False) -> Ticket:
        """Wait for this caller's slot on the grid and for a permit; the returned ticket must be done().

        PACED=False skips the grid (a reply in chat should not wait for evenness); the permits still apply.
        URGENT (a reply in chat) goes before every other waiter and may use the reserve.
        """
        if urgent:
            self.note_reply()
        if self.interval and paced:
            now = self._clock()
            # Reserved without awaiting in between, so concurrent callers get distinct slots. A slot may lie a
            # little in the past (the event loop woke the previous caller late): without that catch-up, timer
            # slack lowered the rate by 5%. The permits still bound every sliding window.
            slot = max(now - self._catch_up, self._next, self._paused_until)
            self._next = slot + self.interval
            if slot > now:
                await self._sleep(slot - now)
        await (self._take_urgent_permit() if urgent else self._take_permit())
        ticket = Ticket(urgent)
        try:
            while (wait := self._paused_until - self._clock()) > 0:
                await self._sleep(wait)
        except BaseException:
            self._release(urgent)  # nothing was sent on this permit
            raise
        return ticket

    def note_reply(self) -> None:
        """Count a reply in chat sent now (acquire(urgent=True) does): the demand the headroom follows."""
        now = self._clock()
        self._urgent_until = now + self.urgent_hold
        replies = self._replies
        replies.append(now)
        while replies[0] <= now - self.window:
            replies.popleft()
        count = len(replies)
        peaks = self._reply_peaks
        while peaks and peaks[-1][1] <= count:
            peaks.pop()
        peaks.append((now, count))

    def _held_back(self) -> int:
        """Free permits only urgent callers may take right now: the headroom for replies (see the class)."""
        now = self._clock()
        peaks = self._reply_peaks
        while peaks and peaks[0][0] <= now - self.demand_memory:
            peaks.popleft()
        headroom = peaks[0][1] + 1 - self._held_urgent if peaks else 0
        return max(headroom, self.reserve if now < self._urgent_until else 0)

    def _push_may_take(self) -> bool:
        return self._permits > 0 and (self._held_push < self.push_floor or self._permits > self._held_back())

    def _took(self, urgent: bool) -> None:
        """Count a permit just taken (or handed over) as held by replies or by the push."""
        if urgent:
            self._held_urgent += 1
        else:
            self._held_push += 1

    async def _take_permit(self) -> None:
        if not self._waiters and self._push_may_take():
            self._permits -= 1
            self._took(False)
            return
        await self._wait_in(self._waiters, urgent=False)

    async def _take_urgent_permit(self) -> None:
        if self._permits > 0 and not self._urgent_waiters:
            self._permits -= 1
            self._took(True)
            return
        await self._wait_in(self._urgent_waiters, urgent=True)

    async def _wait_in(self, queue: collections.deque[asyncio.Future[None]], *, urgent: bool) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release(urgent)  # handed a permit just as we were cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def _release(self, urgent: bool) -> None:
        """A permit held by a reply (URGENT) or by the push comes back."""
        if urgent:
            self._held_urgent -= 1
        else:
            self._held_push -= 1
        self._give_back()

    def _give_back(self) -> None:
        # The permit passes straight to the next urgent waiter, else it is counted free and handed to as many
        # push waiters as the headroom allows.
        while self._urgent_waiters:
            waiter = self._urgent_waiters.popleft()
            if not waiter.done():
                self._took(True)
                waiter.set_result(None)
                return
        self._permits += 1
        while self._waiters and self._push_may_take():
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._permits -= 1
                self._took(False)
                waiter.set_result(None)

    def done(self, ticket: Ticket) -> None:
        """The request of TICKET was answered (or failed): its permit comes back one window from now."""
        if ticket.returned:
            return
        ticket.returned = True
        asyncio.get_running_loop().call_later(self.window, self._release, ticket.urgent)


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
