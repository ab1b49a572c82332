"""Rate limits of the local Bot API server: configuration and sliding-window counters."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass
class Limits:
    """Telegram's flood limits as the local server enforces them (sliding windows, stricter than Telegram,
    which tolerates short bursts).

    ``overall_per_second`` applies per bot to every message-sending method; sends with
    ``allow_paid_broadcast`` count against ``paid_per_second`` instead. ``group_per_minute`` applies to each
    group, supergroup and channel, ``private_per_second`` to each private chat (both also for paid sends).
    ``max_long_poll`` caps getUpdates' ``timeout``. ``callback_query_timeout`` is how long a callback query
    can still be answered (Telegram does not document it; 15 s is on the strict side).
    ``enabled=False`` switches the rate limits (not the other checks) off.
    ``flood_hold`` is how many seconds in all a request over a limit is held and retried before it fails with 429:
    TDLib waits out flood waits for a bot's request up to a total of 8 s (NetQueryCreator.cpp sets a bot's
    total_timeout_limit to 8; NetQueryDelayer::delay resends until then), so on Telegram a send over a limit can
    simply answer late. 0 (the default, stricter) answers 429 at once.
    """

    overall_per_second: float = 30
    group_per_minute: int = 20
    private_per_second: float = 1
    paid_per_second: float = 1000
    enabled: bool = True
    max_long_poll: int = 50
    callback_query_timeout: float = 15.0
    flood_hold: float = 0.0


def per_second_window(rate: float) -> tuple[int, float]:
    """(max events, window seconds) for a rate given per second; fractional rates round down (stricter)."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    if rate >= 1:
        return math.floor(rate), 1.0
    return 1, 1.0 / rate


class SlidingWindow:
    """At most ``limit`` events in any window of ``period`` seconds."""

    __slots__ = ("limit", "period", "stamps")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.stamps: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more event is allowed (0.0 if allowed now)."""
        stamps = self.stamps
        horizon = now - self.period
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        if len(stamps) < self.limit:
            return 0.0
        return stamps[len(stamps) - self.limit] + self.period - now

    def idle(self, now: float) -> bool:
        """True when no event is inside the window any more (the window can be forgotten)."""
        return not self.stamps or self.stamps[-1] <= now - self.period

    def record(self, now: float) -> None:
        self.stamps.append(now)


def retry_after_seconds(wait: float) -> int:
    """Telegram's retry_after: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(wait))
