"""The push's overall rate limiter: the sliding-window bound as a server would count it, pauses, permits."""

from __future__ import annotations

import asyncio
import bisect

import pytest

from jobs.push_limits import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def most_in_one_window(stamps: list[float], window: float = 1.0) -> int:
    """The largest number of STAMPS inside any half-open window [t, t + window)."""
    stamps = sorted(stamps)
    return max(bisect.bisect_left(stamps, t + window) - i for i, t in enumerate(stamps))


async def push_through(limiter: RateLimiter, n: int, delay_of: dict[int, float], workers: int) -> list[float]:
    """Send N requests through LIMITER to a server that handles request k after delay_of.get(k, 0) seconds
    and answers at once; returns the server's handling times (loop clock)."""
    loop = asyncio.get_running_loop()
    handled: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for k in range(n):
        queue.put_nowait(k)

    async def worker() -> None:
        while not queue.empty():
            k = queue.get_nowait()
            ticket = await limiter.acquire()
            try:
                await asyncio.sleep(delay_of.get(k, 0.0))  # the request on its way
                handled.append(loop.time())  # the server counts it here...
            finally:
                limiter.done(ticket)  # ...and answers right away

    await asyncio.gather(*(worker() for _ in range(workers)))
    return handled


@pytest.mark.parametrize("smooth", [False, True])
async def test_no_server_window_ever_holds_more_than_the_rate_even_when_early_requests_arrive_late(
    smooth: bool,
) -> None:
    # The first request of every batch of 20 is slow to reach the server, the rest are instant: a limiter that
    # counted only its own send times would let the server see the slow one together with the next window's.
    rate = 20
    delays = {k: 0.3 for k in range(0, 60, rate)}
    handled = await push_through(RateLimiter(rate, smooth=smooth), 60, delays, workers=30)
    assert len(handled) == 60
    assert most_in_one_window(handled) <= rate


async def test_unpaced_limiter_lets_a_whole_window_through_at_once() -> None:
    clock = FakeClock()
    limiter = RateLimiter(50, smooth=False, clock=clock, sleep=clock.sleep)
    tickets = [await limiter.acquire() for _ in range(50)]
    assert clock.sleeps == []  # nobody waited for the first window
    assert limiter.available == 0
    for ticket in tickets:
        limiter.done(ticket)


async def test_smooth_limiter_spaces_sends_on_its_grid() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, smooth=True, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(5):
        limiter.done(await limiter.acquire())
    # Five sends span at least three grid steps (the first may catch up a little on a late wake-up).
    assert clock.now - start >= 3 * 1.01 / 10
    assert all(step == pytest.approx(1.01 / 10) for step in clock.sleeps[1:])


async def test_unpaced_callers_skip_the_grid_but_not_the_permits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, smooth=True, clock=clock, sleep=clock.sleep)
    tickets = [await limiter.acquire(paced=False) for _ in range(3)]
    assert clock.sleeps == []
    assert limiter.available == 0
    waiting = asyncio.ensure_future(limiter.acquire(paced=False))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # out of permits until one comes back
    waiting.cancel()
    for ticket in tickets:
        limiter.done(ticket)


async def test_a_pause_holds_every_send_until_it_ends() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, smooth=False, clock=clock, sleep=clock.sleep)
    limiter.pause(3.0)
    paused_at = clock.now
    ticket = await limiter.acquire()
    assert clock.now >= paused_at + 3.0
    limiter.done(ticket)


async def test_the_permit_comes_back_one_window_after_the_answer_not_before() -> None:
    limiter = RateLimiter(2, smooth=False, window_margin=0.0)
    first, second = await limiter.acquire(), await limiter.acquire()
    third = asyncio.ensure_future(limiter.acquire())
    limiter.done(first)
    limiter.done(first)  # answered twice (a retry path): still one permit back, not two
    await asyncio.sleep(0.5)
    assert not third.done()
    limiter.done(second)
    limiter.done(await asyncio.wait_for(third, 2.0))
    await asyncio.sleep(1.1)
    assert limiter.available == 2


async def test_a_cancelled_waiter_loses_no_permit() -> None:
    limiter = RateLimiter(1, smooth=False, window_margin=0.0)
    held = await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    limiter.done(held)
    await asyncio.sleep(1.05)
    assert limiter.available == 1
    limiter.done(await asyncio.wait_for(limiter.acquire(), 1.0))


async def test_a_waiter_cancelled_while_paused_gives_its_permit_back() -> None:
    clock = FakeClock()

    async def never(_: float) -> None:
        await asyncio.Event().wait()

    limiter = RateLimiter(1, smooth=False, clock=clock, sleep=never)
    limiter.pause(5.0)
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.available == 1


# ---- replies first: urgent callers and the reserve kept for them


async def taken(limiter: RateLimiter, count: int, *, urgent: bool = False) -> list[asyncio.Task[object]]:
    """COUNT acquire() calls started now; the ones that got a permit are done after the loop turns once."""
    tasks: list[asyncio.Task[object]] = [asyncio.create_task(limiter.acquire(urgent=urgent)) for _ in range(count)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return tasks


async def test_without_replies_a_push_has_every_permit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(6, smooth=False, reserve=2, clock=clock, sleep=clock.sleep)
    tasks = await taken(limiter, 7)
    assert sum(t.done() for t in tasks) == 6
    tasks[-1].cancel()


async def test_while_replies_are_sent_the_reserve_is_theirs_and_they_go_first() -> None:
    clock = FakeClock()
    limiter = RateLimiter(6, smooth=False, reserve=2, clock=clock, sleep=clock.sleep)
    [reply] = await taken(limiter, 1, urgent=True)
    assert reply.done()
    push = await taken(limiter, 5)
    assert sum(t.done() for t in push) == 3  # 6 - 1 reply - 2 kept for replies
    replies = await taken(limiter, 3, urgent=True)
    assert [t.done() for t in replies] == [True, True, False]  # the reserve, then a wait like everyone
    # the next permit to come back goes to the waiting reply, not to the push that waited longer
    limiter.done(reply.result())  # type: ignore[arg-type]
    await asyncio.sleep(limiter.window + 0.05)
    assert replies[2].done() and sum(t.done() for t in push) == 3
    # once nobody has replied for demand_memory seconds, the push gets the reserve back as permits return
    clock.now += limiter.demand_memory
    limiter.done(push[0].result())  # type: ignore[arg-type]
    await asyncio.sleep(limiter.window + 0.05)
    assert sum(t.done() for t in push) == 4
    for t in push:
        t.cancel()


def test_the_reserve_never_takes_every_permit() -> None:
    assert RateLimiter(3, reserve=10).reserve == 2


async def replies_now(limiter: RateLimiter, count: int) -> list[asyncio.Task[object]]:
    """COUNT replies asking for a permit at once, as a burst of users' commands does."""
    return await taken(limiter, count, urgent=True)


async def answered_and_returned(limiter: RateLimiter, tasks: list[asyncio.Task[object]]) -> None:
    """The requests of TASKS are answered, and a window later their permits are back."""
    for t in tasks:
        limiter.done(t.result())  # type: ignore[arg-type]
    await asyncio.sleep(limiter.window + 0.05)


def limiter_at_30(clock: FakeClock) -> RateLimiter:
    return RateLimiter(30, smooth=False, reserve=5, clock=clock, sleep=clock.sleep)


async def test_a_burst_of_replies_as_large_as_the_recent_ones_finds_its_permits_free() -> None:
    # 30/s with 5 permits kept for replies, a push queued for far more than a window: 12 users write at once, and
    # a window later 12 write again. The second burst must not wait for push permits to come back one by one
    # (33 ms each at 30/s): the replies of recent windows say how many permits to keep for them.
    clock = FakeClock()
    limiter = limiter_at_30(clock)
    first = await replies_now(limiter, 12)
    assert all(t.done() for t in first)
    push = await taken(limiter, 100)
    await answered_and_returned(limiter, first)  # the push may not take all the permits coming back
    clock.now += 1.0
    second = await replies_now(limiter, 12)
    assert [t.done() for t in second] == [True] * 12
    assert sum(t.done() for t in push) >= limiter.push_floor  # the push got what the replies left
    for t in push + second:
        t.cancel()


async def test_the_push_keeps_making_progress_however_busy_the_replies() -> None:
    # Replies have held 29 of 30 permits in the last seconds: the push still gets its floor (one permit).
    clock = FakeClock()
    limiter = limiter_at_30(clock)
    await answered_and_returned(limiter, await replies_now(limiter, 29))
    push = await taken(limiter, 10)
    assert sum(t.done() for t in push) == limiter.push_floor == 1
    for t in push:
        t.cancel()


async def test_once_replies_calm_down_their_headroom_shrinks_back_to_the_reserve() -> None:
    clock = FakeClock()
    limiter = limiter_at_30(clock)
    await answered_and_returned(limiter, await replies_now(limiter, 20))
    clock.now += limiter.demand_memory + 0.1  # the burst is older than the replies' memory...
    [one] = await replies_now(limiter, 1)  # ...and one user writes
    push = await taken(limiter, 30)
    assert sum(t.done() for t in push) == 30 - 1 - 5
    limiter.done(one.result())  # type: ignore[arg-type]
    for t in push:
        t.cancel()


async def test_replies_and_push_together_never_put_more_than_the_rate_in_a_server_window() -> None:
    # Real clock: the push sends flat out while bursts of replies arrive; the server's sliding window still
    # never holds more than the rate, whatever the headroom did.
    rate = 10
    limiter = RateLimiter(rate, smooth=False, reserve=2)
    loop = asyncio.get_running_loop()
    handled: list[float] = []

    async def send(urgent: bool) -> None:
        ticket = await limiter.acquire(urgent=urgent, paced=not urgent)
        try:
            await asyncio.sleep(0.01)
            handled.append(loop.time())
        finally:
            limiter.done(ticket)

    async def replies() -> None:
        for burst in (4, 7, 2, 6):
            await asyncio.gather(*(send(True) for _ in range(burst)))
            await asyncio.sleep(0.4)

    with limiter.engaged():
        await asyncio.gather(replies(), *(send(False) for _ in range(20)))
    assert len(handled) == 20 + 19
    assert most_in_one_window(handled) <= rate


async def test_a_push_starting_while_users_are_busy_leaves_them_what_they_used() -> None:
    # 20 users wrote in the last second before the push started (their replies took no permits: no push ran).
    # The push must not take every permit and make the next burst wait a window for them to come back.
    clock = FakeClock()
    limiter = limiter_at_30(clock)
    for _ in range(20):
        limiter.note_reply()
    clock.now += 3.0
    with limiter.engaged():
        push = await taken(limiter, 30)
        assert sum(t.done() for t in push) == 30 - 21
        burst = await replies_now(limiter, 20)
        assert all(t.done() for t in burst)
    for t in push:
        t.cancel()
