"""The engine's connection pool under the bot's load: connections are kept, and dropped ones are replaced."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker
from support.db import PG_URL, needs_pg, pg_schema_url

from jobs.uow import UnitOfWork, UnitsOfWork
from storage.db import create_db_engine

# asyncio's default executor, which runs the units of work (jobs/uow.py): min(32, CPUs + 4) threads.
UNIT_THREADS = min(32, (os.cpu_count() or 1) + 4)


def test_busy_units_of_work_keep_their_connections(db_url: str) -> None:
    # Every worker thread busy at once, round after round: each needs a connection, and the pool must keep them
    # all. With SQLAlchemy's default pool of 5, each round closed the connections past the fifth when they came
    # back and opened new ones for the next round (a new PostgreSQL backend each time).
    engine = create_db_engine(db_url)
    connects: list[Any] = []
    event.listen(engine, "connect", lambda dbapi_connection, _record: connects.append(dbapi_connection))
    units = UnitsOfWork(sessionmaker(engine))

    def work(u: UnitOfWork) -> int:
        time.sleep(0.02)  # the unit's statements, long enough for every thread to be in one at once
        return int(u.session.execute(text("SELECT 1")).scalar_one())

    async def rounds() -> None:
        for _ in range(5):
            assert await asyncio.gather(*(units.run(work) for _ in range(UNIT_THREADS))) == [1] * UNIT_THREADS

    try:
        asyncio.run(rounds())
        assert len(connects) <= UNIT_THREADS
    finally:
        engine.dispose()


def _backend_pid(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = create_db_engine(PG_URL)
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()
    time.sleep(0.2)  # the backend exits


@needs_pg
def test_a_connection_dropped_while_idle_is_replaced_before_use() -> None:
    # The server ended the backend of a pooled connection (a restart, an idle timeout) while it sat in the pool
    # for longer than ping_idle_after: the checkout pings it, finds it gone and opens another.
    with pg_schema_url() as url:
        engine = create_db_engine(url, ping_idle_after=0.1)
        try:
            first = _backend_pid(engine)
            _terminate(first)
            assert _backend_pid(engine) != first
        finally:
            engine.dispose()


@needs_pg
def test_a_connection_dropped_right_after_use_fails_one_unit_then_the_pool_recovers() -> None:
    # Within ping_idle_after of its last use a connection is not pinged (a round trip per update saved): if the
    # server dropped it meanwhile, the unit on it fails, as one in flight at that moment would, and SQLAlchemy
    # replaces the pooled connections, so the next unit works.
    with pg_schema_url() as url:
        engine = create_db_engine(url, ping_idle_after=60.0)
        try:
            first = _backend_pid(engine)
            _terminate(first)
            with pytest.raises(OperationalError), engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            assert _backend_pid(engine) != first
        finally:
            engine.dispose()
