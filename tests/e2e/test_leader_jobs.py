"""The leader's timed work on APScheduler (jobs/leader.py LeaderJobs): runs only while leading, stops when
leadership is lost, never overlaps itself; and the bot's services stop every timed job when the lock goes."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from support.api import bot_api
from support.db import needs_pg, pg_schema_url
from support.issues import make_issue

from bot.app import build_application, default_extensions, startup, stop_services
from bot.common.outbox import leader_jobs
from bot.features.push import push_extension
from config import Config, PushConfig, TelegramConfig
from jobs.leader import (
    LeaderJobs,
    LeaderLock,
    Leadership,
    LeadershipError,
    LeadershipLost,
    advisory_key,
    lead_until,
)
from jobs.push import PushSettings, publish, utcnow
from jobs.uow import UnitOfWork
from localbotapi import LocalBotApi
from storage.archive import IssueRepository
from storage.db import create_db_engine, transaction
from storage.push_repo import PushRepository
from storage.subscribers import SubscriberRepository

TOKEN = "4242:leader-jobs"
CHAT = 8101


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


# ---- a fake of the LeaderLock port: one seat that several "processes" compete for


@dataclass
class Seat:
    holder: FakeLock | None = None


@dataclass
class FakeLock:
    """Leadership as the jobs see it: acquire waits for the seat, watch raises LeadershipLost once lost."""

    seat: Seat
    lost: asyncio.Event = field(default_factory=asyncio.Event)

    async def acquire(self, *, wait: bool = True, on_wait: Callable[[], None] | None = None) -> None:
        while self.seat.holder is not None:
            if not wait:
                raise LeadershipError("another process leads")
            await asyncio.sleep(0.01)
        self.seat.holder = self

    async def watch(self) -> None:
        await self.lost.wait()
        raise LeadershipLost("fake lock lost")

    def release(self) -> None:
        if self.seat.holder is self:
            self.seat.holder = None

    def lose(self) -> None:
        self.release()
        self.lost.set()


# ---- two competing locks on one database: the fake, and real PostgreSQL advisory locks


@dataclass
class Contest:
    first: LeaderLock
    second: LeaderLock
    take_from_first: Callable[[], None]  # the first process loses its lock (connection killed / fake lost)
    # How long the first may go on as leader after losing its lock, until its next check notices (a killed
    # PostgreSQL session is only found out by the next check_interval's query; the fake notices at once).
    notices_within: float = 0.0


@pytest.fixture(params=[
    "fake",
    pytest.param("postgres", marks=needs_pg),
])
async def contest(request: pytest.FixtureRequest) -> AsyncIterator[Contest]:
    if request.param == "fake":
        seat = Seat()
        a, b = FakeLock(seat), FakeLock(seat)
        yield Contest(a, b, a.lose)
        return
    with pg_schema_url() as url:
        engines = [create_db_engine(url) for _ in range(3)]
        first, second = (Leadership(e, retry_interval=0.1, check_interval=0.1) for e in engines[:2])

        def kill_first() -> None:
            # What a dead network link does: the server ends the leader's session and frees its lock.
            with engines[2].connect() as conn:
                database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
                key = advisory_key(str(database), str(schema))
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                         "AND classid::bigint = :hi AND objid::bigint = :lo"),
                    {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
                )

        try:
            yield Contest(first, second, kill_first, notices_within=first.check_interval)
        finally:
            first.release()
            second.release()
            for engine in engines:
                engine.dispose()


def counting_jobs(runs: list[str], who: str, times: list[float] | None = None) -> LeaderJobs:
    jobs = LeaderJobs("Asia/Shanghai")

    async def tick() -> None:
        runs.append(who)
        if times is not None:
            times.append(time.monotonic())

    jobs.every("tick", 0.05, tick)
    return jobs


async def test_a_standby_runs_no_timed_job_and_jobs_stop_when_leadership_is_lost(contest: Contest) -> None:
    runs: list[str] = []
    first_times: list[float] = []
    first_jobs, second_jobs = counting_jobs(runs, "first", first_times), counting_jobs(runs, "second")
    first_done, second_done = asyncio.Event(), asyncio.Event()
    await contest.first.acquire(wait=False)
    first = asyncio.create_task(lead_until(contest.first, first_jobs, first_done))

    async def standby_then_lead() -> None:
        await contest.second.acquire(wait=True)
        await lead_until(contest.second, second_jobs, second_done)

    second = asyncio.create_task(standby_then_lead())
    try:
        await asyncio.sleep(0.6)
        assert runs.count("first") >= 3
        assert "second" not in runs and not second_jobs.running  # standing by: no timed job at all

        lost_at = time.monotonic()
        contest.take_from_first()
        with pytest.raises(LeadershipLost):
            await asyncio.wait_for(first, timeout=10)
        noticed_at = time.monotonic()
        assert not first_jobs.running
        assert await wait_until(lambda: runs.count("second") >= 3), "the standby did not take over"
        ran_first = runs.count("first")
        await asyncio.sleep(0.3)
        assert runs.count("first") == ran_first  # the former leader runs nothing any more
        # ... and nothing after it noticed. Between losing the lock and its next check it may still run a tick
        # while the new leader already leads (what a push's claimed ledger rows make harmless): that window is
        # its check interval, plus what a loaded machine adds to one database round trip.
        assert all(t <= noticed_at for t in first_times)
        assert noticed_at - lost_at <= contest.notices_within + 2.0
    finally:
        first_done.set()
        second_done.set()
        await asyncio.gather(first, second, return_exceptions=True)
    assert not second_jobs.running


async def test_a_job_never_overlaps_itself() -> None:
    jobs = LeaderJobs()
    active = 0
    most = 0
    runs = 0

    async def slow() -> None:
        nonlocal active, most, runs
        active += 1
        most = max(most, active)
        runs += 1
        await asyncio.sleep(0.25)  # five times the interval
        active -= 1

    jobs.every("slow", 0.05, slow)
    jobs.start()
    try:
        await asyncio.sleep(1.0)
    finally:
        await jobs.stop()
    assert most == 1
    assert 2 <= runs <= 5  # back to back, one at a time
    assert jobs.skipped > 0  # the scheduler wanted to start it while it ran, and did not


async def test_a_failed_run_is_logged_and_the_job_runs_again(caplog: pytest.LogCaptureFixture) -> None:
    jobs = LeaderJobs()
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database hiccup")

    jobs.every("flaky", 0.05, flaky)
    jobs.start()
    try:
        assert await wait_until(lambda: calls >= 3)
    finally:
        await jobs.stop()
    assert "timed job flaky failed; it runs again at its next time" in caplog.text
    assert "database hiccup" in caplog.text


async def test_stop_interrupts_an_interrupt_job_and_lets_another_finish() -> None:
    jobs = LeaderJobs()
    events: list[str] = []

    async def push() -> None:
        events.append("push started")
        await asyncio.sleep(30)
        events.append("push finished")

    async def reminders() -> None:
        events.append("reminders started")
        await asyncio.sleep(0.2)
        events.append("reminders finished")

    jobs.every("push", 10, push, interrupt=True)
    jobs.every("reminders", 10, reminders)
    jobs.start()
    assert await wait_until(lambda: len(events) == 2)
    started = time.monotonic()
    await jobs.stop()
    assert time.monotonic() - started < 5
    assert sorted(events) == ["push started", "reminders finished", "reminders started"]
    assert not jobs.running


async def test_cron_jobs_run_at_wall_clock_times_of_the_push_timezone() -> None:
    jobs = LeaderJobs("Asia/Shanghai")

    async def nothing() -> None:
        return None

    jobs.cron("morning", nothing, hour=9, minute=0)
    jobs.start()
    try:
        next_run = jobs.next_run("morning")
    finally:
        await jobs.stop()
    assert next_run is not None
    assert (next_run.hour, next_run.minute) == (9, 0)
    assert next_run.astimezone(dt.UTC).hour == 1  # 09:00 in Shanghai is 01:00 UTC
    assert jobs.next_run("morning") is None  # stopped: nothing scheduled


# ---- the bot: its background services share one LeaderJobs and stop it when leadership is lost


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with bot_api(TOKEN, username="leader_jobs_bot", users=[(CHAT, "张三", "zh-hans")]) as api:
        yield api


def publish_now(factory: sessionmaker[Session], number: int) -> int:
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(make_issue(number))
        now = utcnow()
        return publish(UnitOfWork(s), stored.id, now, now).push.id


async def test_the_bot_stops_every_timed_job_when_it_loses_leadership(
    server: LocalBotApi, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as s:
        SubscriberRepository(s).subscribe(CHAT, chat_type="private", user_id=CHAT, display_name="张三",
                                          language_code="zh", department="办公室")
    config = Config(telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url(), poll_timeout=1),
                    push=PushConfig(remind_after=dt.timedelta(hours=24)))
    settings = PushSettings(poll_interval=0.05, progress_interval=60.0, private_interval=0.0, group_interval=0.0,
                            timezone="Asia/Shanghai")
    lock = FakeLock(Seat())
    await lock.acquire()
    app = build_application(config, session_factory=factory,
                            extensions=[*default_extensions(config), push_extension(settings, lock)])
    await app.initialize()
    try:
        await startup(app)  # what post_init does: the services start
        jobs = leader_jobs(app)
        assert jobs.running and sorted(jobs.names) == ["push-poll", "reminders", "watch"]
        publish_now(factory, 1)
        assert await server.await_for(lambda: len(server.messages(CHAT)) == 1, timeout=20)

        lock.lose()
        assert await wait_until(lambda: not jobs.running), "the timed jobs kept running after leadership was lost"
        second = publish_now(factory, 2)
        await asyncio.sleep(0.5)  # ten poll intervals
        assert len(server.messages(CHAT)) == 1
        with transaction(factory) as s:
            push = PushRepository(s).get(second)
        assert push is not None and push.state == "scheduled"  # left for the next leader
    finally:
        await stop_services(app)
        await app.shutdown()


def test_the_bot_does_not_build_ptbs_own_job_queue(server: LocalBotApi, factory: sessionmaker[Session]) -> None:
    """PTB starts a JobQueue (a second APScheduler) whenever APScheduler is installed, unless told not to."""
    config = Config(telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url()))
    app = build_application(config, session_factory=factory)
    with pytest.warns(UserWarning, match="No `JobQueue` set up"):
        assert app.job_queue is None
