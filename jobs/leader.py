"""Leadership: exactly one bot process polls Telegram, runs schedules and sends.

PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) held on a dedicated autocommit connection.
Followers try again every `retry_interval` seconds (3 s); when the leader dies its session ends, the lock is
released by the server, and a follower takes over within a few seconds (well under 30 s). The leader checks its
connection every few seconds and gives leadership up (watch() returns) if the connection is lost, because the
server has then released the lock to someone else. The lock key is derived from the database and schema, so
separate deployments (or test schemas) on one server do not block each other.

SQLite: one process only. An exclusive, non-blocking flock on "<database file>.lock" is taken; a second process
refuses to start with a clear message. The OS drops the lock when the holder dies, even on SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Callable
from typing import IO

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
