"""The per-user command rate limiter, with an explicit clock (no sleeping, no timing assertions)."""

from __future__ import annotations

import datetime as dt

from bot.features.access import CommandRateLimiter, invite_duration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_user_in_a_sliding_minute() -> None:
    clock = Clock()
    limiter = CommandRateLimiter(3, clock)
    assert [limiter.check(1)[0] for _ in range(3)] == [True, True, True]
    clock.now += 20
    allowed, wait, tell = limiter.check(1)
    assert (allowed, wait, tell) == (False, 40.0, True)
    assert limiter.check(1) == (False, 40.0, False)  # told once per burst
    assert limiter.check(2)[0]  # other users are not affected
    clock.now += 40  # a minute after the burst, its three commands have left the window
    assert [limiter.check(1)[0] for _ in range(4)] == [True, True, True, False]


def test_zero_means_no_limit() -> None:
    limiter = CommandRateLimiter(0, Clock())
    assert all(limiter.check(5)[0] for _ in range(1000))


def test_told_again_after_the_window_frees() -> None:
    clock = Clock()
    limiter = CommandRateLimiter(1, clock)
    assert limiter.check(7)[0]
    assert limiter.check(7)[2] is True
    clock.now += 60
    assert limiter.check(7)[0]
    assert limiter.check(7) == (False, 60.0, True)


def test_invite_durations() -> None:
    assert [invite_duration(text) for text in ("48h", "7d", "30m", "1.5h")] == [
        dt.timedelta(hours=48), dt.timedelta(days=7), dt.timedelta(minutes=30), dt.timedelta(minutes=90)
    ]
    # "7" is a number of uses to /invite, never a duration; "0h" is no validity at all.
    for bad in ("", "0", "0h", "7", "1y", "-1d", "天", "9999999999d"):
        assert invite_duration(bad) is None, bad
