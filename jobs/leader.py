"""Leadership: exactly one bot process polls Telegram, runs schedules and sends.

PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) held on a dedicated autocommit connection.
Followers try again every `retry_interval` seconds (3 s); when the leader dies its session ends, the lock is
released by the server, and a follower takes over within a few seconds (well under 30 s). The leader checks its
connection every few seconds and gives leadership up (watch() returns) if the connection is lost, because the
server has then released the lock to someone else. The lock key is derived from the database and schema, so
separate deployments (or test schemas) on one server do not block each other.

SQLite: one process only. An exclusive, non-blocking flock on "<database file>.lock" is taken; a second process
refuses to start with a clear message. The OS drops the lock when the holder dies, even on SIGKILL.

The leader's timed work (polling due pushes, reminders) runs as APScheduler jobs (LeaderJobs): started once
leadership is held, stopped when it is lost or the process stops. The database stays the truth: the scheduler
keeps only which functions to call and when, in memory, registered anew at every start; nothing in it needs to
survive a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)


class LeadershipError(RuntimeError):
    """This process cannot become the leader (SQLite: another process holds the database)."""


class LeadershipLost(RuntimeError):
    """The leader's lock connection broke: stop sending, another process may lead now."""


def advisory_key(database: str, schema: str) -> int:
    """A signed 64-bit advisory-lock key for one database + schema."""
    digest = hashlib.sha256(f"bulletin-bot leader:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    """Acquire, keep and release leadership for one database."""

    def __init__(self, engine: Engine, *, retry_interval: float = 3.0, check_interval: float = 5.0) -> None:
        self.engine = engine
        self.retry_interval = retry_interval
        self.check_interval = check_interval
        self._conn: Connection | None = None
        self._key: int | None = None
        self._lock_file: IO[bytes] | None = None
        self.held = False

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    # -- SQLite

    def _sqlite_lock(self) -> None:
        database = self.engine.url.database
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            self.held = True  # a private in-memory database cannot be shared anyway
            return
        path = os.path.abspath(database) + ".lock"
        handle = open(path, "a+b")  # kept open (and locked) for the life of the process
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise LeadershipError(
                f"another bulletin-bot process is already running on the SQLite database {database}; "
                "only one process may use a SQLite database (use PostgreSQL to run several for availability)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._lock_file = handle
        self.held = True

    # -- PostgreSQL

    def _pg_try(self) -> bool:
        if self._conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
            self._key = advisory_key(str(database), str(schema))
            self._conn = conn
        got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar())
        self.held = got
        return got

    def _pg_check(self) -> bool:
        if self._conn is None or self._key is None:
            return False
        key = self._key
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                    "AND granted AND classid::bigint = :hi AND objid::bigint = :lo"
                ),
                {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
            ).scalar()
        except Exception:
            log.exception("leadership connection lost")
            return False
        return bool(held)

    def _pg_close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                if self.held:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    # -- public

    async def acquire(self, *, wait: bool = True, on_wait: Callable[[], None] | None = None) -> None:
        """Become the leader. SQLite: at once or LeadershipError. PostgreSQL: wait (poll) unless WAIT is False."""
        if self.is_sqlite:
            self._sqlite_lock()
            return
        told = False
        while True:
            try:
                if await asyncio.to_thread(self._pg_try):
                    log.info("leadership acquired")
                    return
            except Exception:
                # The database may be restarting; drop the connection and try again.
                log.exception("could not try for leadership")
                await asyncio.to_thread(self._pg_close)
            if not wait:
                raise LeadershipError("another bulletin-bot process is the leader on this database")
            if not told:
                log.info("another process is the leader; standing by (retrying every %.0f s)", self.retry_interval)
                if on_wait is not None:
                    on_wait()
                told = True
            await asyncio.sleep(self.retry_interval)

    async def watch(self) -> None:
        """Return (raise LeadershipLost) when leadership is lost; runs forever while it is held."""
        if self.is_sqlite:
            await asyncio.Event().wait()
        while True:
            await asyncio.sleep(self.check_interval)
            if not await asyncio.to_thread(self._pg_check):
                self.held = False
                raise LeadershipLost("lost the leadership lock (database connection broken)")

    def release(self) -> None:
        """Give leadership up (also happens when the process exits)."""
        if self.is_sqlite:
            if self._lock_file is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
                self._lock_file.close()
                self._lock_file = None
        else:
            self._pg_close()
        self.held = False


@dataclass(frozen=True)
class LeaderProbe:
    """Whether some process leads on a database (so pushes are being sent), as another process can see it."""

    running: bool
    pid: int | None = None  # SQLite only: the leader writes its pid into the lock file


def probe_leader(engine: Engine) -> LeaderProbe:
    """Look, without becoming the leader, whether a bot process holds leadership on ENGINE's database.

    SQLite: a shared, non-blocking flock on the lock file conflicts with the leader's exclusive one (the probe holds
    it for microseconds; a leader starting in that instant is refused and says so). PostgreSQL: the advisory lock is
    tried and released at once when it was free.
    """
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return LeaderProbe(False)
        path = os.path.abspath(database) + ".lock"
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            return LeaderProbe(False)
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                written = handle.read(32).decode("ascii", "replace").strip()
                return LeaderProbe(True, int(written) if written.isdigit() else None)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return LeaderProbe(False)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
        key = advisory_key(str(database), str(schema))
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            return LeaderProbe(False)
        return LeaderProbe(True)


class LeaderLock(Protocol):
    """What the timed jobs need of leadership (Leadership, or a test's fake)."""

    async def acquire(self, *, wait: bool = True, on_wait: Callable[[], None] | None = None) -> None: ...

    async def watch(self) -> None: ...

    def release(self) -> None: ...


JobFunc = Callable[[], Awaitable[object]]

_EXECUTOR = "leader"
# APScheduler logs every run at INFO ("Running job …", "… executed successfully"): every 3 s for the push poll.
_EXECUTOR_LOGGER = f"apscheduler.executors.{_EXECUTOR}"


class _NoOverlapNotice(logging.Filter):
    """Drop APScheduler's warning that a run was skipped because the previous one is still going.

    With max_instances=1 that is the point, not news: a push to 10,000 chats keeps the 3 s poll busy for minutes.
    LeaderJobs counts those skips instead (LeaderJobs.skipped).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in str(record.msg)


@dataclass(frozen=True)
class _Job:
    name: str
    func: JobFunc
    trigger: BaseTrigger
    run_now: bool
    interrupt: bool


class LeaderJobs:
    """The leader's timed work as APScheduler jobs on the running asyncio loop (AsyncIOScheduler).

    Every job runs with coalesce=True (runs missed while the loop was busy collapse into one), max_instances=1
    (a run never overlaps the previous one: a long push simply delays the next poll) and a misfire grace. Triggers
    are in TIMEZONE ([push] timezone), which matters for cron jobs ("09:00 on weekdays").

    Jobs are kept here and handed to a new scheduler at every start(), so a process that loses and later regains
    leadership starts clean. stop() stops them: runs of an `interrupt` job are cancelled (a push resumes from its
    ledger), others may finish for up to `finish_timeout` seconds. APScheduler's own shutdown is not relied on for
    that: AsyncIOScheduler.shutdown() only takes effect on a later loop iteration and cancels every running
    coroutine job whatever `wait` says (agronholm/apscheduler#233, #675).
    """

    def __init__(self, timezone: str = "UTC", *, misfire_grace: float = 60.0, finish_timeout: float = 30.0) -> None:
        self.timezone = ZoneInfo(timezone)
        self.misfire_grace = misfire_grace
        self.finish_timeout = finish_timeout
        self.skipped = 0  # runs skipped because the job's previous run was still going
        self._jobs: dict[str, _Job] = {}
        self._runs: dict[str, asyncio.Task[Any]] = {}
        self._cancelled: set[asyncio.Task[Any]] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._closing = False

    @property
    def running(self) -> bool:
        """Whether the scheduler is started (between start() and stop())."""
        return self._scheduler is not None

    @property
    def names(self) -> list[str]:
        """The registered jobs' names."""
        return list(self._jobs)

    def next_run(self, name: str) -> dt.datetime | None:
        """When job NAME runs next (aware, in the timezone); None when it is not scheduled."""
        job = self._scheduler.get_job(name) if self._scheduler is not None else None
        return None if job is None else job.next_run_time

    def every(self, name: str, seconds: float, func: JobFunc, *, run_now: bool = True, interrupt: bool = False) -> None:
        """Run FUNC every SECONDS (first at once unless RUN_NOW is False)."""
        self._add(_Job(name, func, IntervalTrigger(seconds=seconds, timezone=self.timezone), run_now, interrupt))

    def cron(self, name: str, func: JobFunc, *, interrupt: bool = False, **fields: Any) -> None:
        """Run FUNC at the times cron FIELDS give (hour=9, minute=0, day_of_week="mon-fri") in the timezone."""
        self._add(_Job(name, func, CronTrigger(timezone=self.timezone, **fields), False, interrupt))

    def _add(self, job: _Job) -> None:
        if job.name in self._jobs:
            raise ValueError(f"a job named {job.name!r} is already registered")
        self._jobs[job.name] = job
        if self._scheduler is not None:
            self._schedule(self._scheduler, job)

    def _schedule(self, scheduler: AsyncIOScheduler, job: _Job) -> None:
        scheduler.add_job(
            self._run, job.trigger, args=(job,), id=job.name, name=job.name, executor=_EXECUTOR,
            coalesce=True, max_instances=1, misfire_grace_time=max(1, round(self.misfire_grace)),
            **({"next_run_time": dt.datetime.now(self.timezone)} if job.run_now else {}),
        )

    async def _run(self, job: _Job) -> None:
        """One run of JOB: never raises, so a failed run is logged here and the job keeps its schedule."""
        if self._closing:
            return
        task = asyncio.current_task()
        assert task is not None
        self._runs[job.name] = task
        try:
            await job.func()
        except asyncio.CancelledError:
            if task not in self._cancelled:
                raise
            log.info("timed job %s interrupted by the stop", job.name)
        except Exception:
            log.exception("timed job %s failed; it runs again at its next time", job.name)
        finally:
            self._runs.pop(job.name, None)
            self._cancelled.discard(task)

    def _count_skip(self, event: JobSubmissionEvent) -> None:
        self.skipped += 1
        log.debug("timed job %s still running; this run is skipped", event.job_id)

    def start(self) -> None:
        """Start running the jobs on the running event loop (call it from a coroutine); idempotent."""
        if self._scheduler is not None:
            return
        scheduler_log = logging.getLogger(f"{__name__}.scheduler")
        if not any(isinstance(f, _NoOverlapNotice) for f in scheduler_log.filters):
            scheduler_log.addFilter(_NoOverlapNotice())
        executor_log = logging.getLogger(_EXECUTOR_LOGGER)
        if executor_log.level == logging.NOTSET:
            executor_log.setLevel(logging.WARNING)
        # Bound to the running loop here, not at construction: PTB's run_polling makes its own loop.
        scheduler = AsyncIOScheduler(
            event_loop=asyncio.get_running_loop(), timezone=self.timezone, logger=scheduler_log,
            executors={_EXECUTOR: AsyncIOExecutor()},
        )
        scheduler.add_listener(self._count_skip, EVENT_JOB_MAX_INSTANCES)
        for job in self._jobs.values():
            self._schedule(scheduler, job)
        self._closing = False
        scheduler.start()
        self._scheduler = scheduler

    async def remove(self, name: str) -> None:
        """Unregister job NAME and end its run in progress, if any (cancelled if it is an `interrupt` job)."""
        job = self._jobs.pop(name, None)
        if job is None:
            return
        if self._scheduler is not None:
            with contextlib.suppress(JobLookupError):
                self._scheduler.remove_job(name)
        await self._end_run(job)
        if not self._jobs:
            await self.stop()

    async def _end_run(self, job: _Job) -> None:
        task = self._runs.get(job.name)
        if task is None or task.done():
            return
        if not job.interrupt:
            await asyncio.wait({task}, timeout=self.finish_timeout)
            if task.done():
                return
            log.warning("timed job %s did not finish within %.0f s; cancelling it", job.name, self.finish_timeout)
        self._cancelled.add(task)  # the cancelled run ends quietly (see _run)
        task.cancel()
        await asyncio.wait({task})

    async def stop(self) -> None:
        """Stop: no new runs, interrupt or finish the runs in progress, shut the scheduler down."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        self._scheduler = None
        self._closing = True  # no new runs from here on, even one the scheduler already submitted
        scheduler.pause()
        try:
            await asyncio.gather(*(self._end_run(job) for job in list(self._jobs.values())))
        finally:
            scheduler.shutdown(wait=False)
            # AsyncIOScheduler.shutdown() is queued on the loop (call_soon_threadsafe): let it run before returning.
            for _ in range(100):
                if not scheduler.running:
                    break
                await asyncio.sleep(0)


async def lead_until(lock: LeaderLock, jobs: LeaderJobs, done: asyncio.Event) -> None:
    """Run JOBS while this process holds LOCK (acquired by the caller) until DONE is set.

    Raises LeadershipLost when the lock is lost; the jobs are stopped before returning or raising either way.
    """
    jobs.start()
    watch = asyncio.create_task(lock.watch(), name="leadership-watch")
    finished = asyncio.create_task(done.wait(), name="leader-done")
    try:
        await asyncio.wait({watch, finished}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await jobs.stop()
        for task in (watch, finished):
            task.cancel()
        await asyncio.gather(watch, finished, return_exceptions=True)
    if watch.done() and not watch.cancelled() and (lost := watch.exception()) is not None:
        raise lost
