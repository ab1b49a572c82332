"""Units of work that only read (jobs.uow.UnitsOfWork.read): the same answers as a transaction, without its round
trips on PostgreSQL, and never a write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.db import needs_pg, pg_schema_url
from support.issues import make_issue

from jobs.uow import UnitOfWork, UnitsOfWork
from storage.db import WriteInReadingError, open_database, reading, transaction


@pytest.fixture
def units(factory: sessionmaker[Session]) -> Iterator[UnitsOfWork]:
    yield UnitsOfWork(factory)


def _subscribe(u: UnitOfWork, chat_id: int) -> None:
    u.subscribers.subscribe(
        chat_id, chat_type="private", display_name="某科室", language_code="zh-hans", department="办公室",
        user_id=chat_id,
    )


def test_a_unit_of_reads_sees_what_was_committed(units: UnitsOfWork) -> None:
    units.run_sync(lambda u: u.issues.add(make_issue(3)))
    units.run_sync(lambda u: _subscribe(u, 42))

    latest, subscriber = asyncio.run(units.read(lambda u: (u.issues.latest(), u.subscribers.get(42))))

    assert latest is not None and latest.issue.number == 3
    assert subscriber is not None and subscriber.display_name == "某科室"


def test_a_write_in_a_unit_of_reads_is_refused_and_nothing_reaches_the_database(units: UnitsOfWork) -> None:
    # On PostgreSQL the unit's statements are not in a transaction: a write that ran would stay, even though the
    # unit failed. It must be refused before it is sent.
    def work(u: UnitOfWork) -> None:
        assert u.subscribers.get(7) is None  # reading is fine
        _subscribe(u, 7)
        u.session.flush()

    with pytest.raises(WriteInReadingError):
        units.read_sync(work)

    assert units.read_sync(lambda u: u.subscribers.get(7)) is None


def test_a_connection_that_served_reads_is_transactional_again_for_the_next_unit(units: UnitsOfWork) -> None:
    # The units run one after the other, so the pool hands the reading unit's connection to the next one (the
    # PostgreSQL pool is LIFO). Were it left in autocommit, the failed unit's first write would stay.
    units.read_sync(lambda u: u.subscribers.get(1))

    def fails_after_writing(u: UnitOfWork) -> None:
        _subscribe(u, 8)
        u.session.flush()
        raise RuntimeError("the step after the write fails")

    with pytest.raises(RuntimeError):
        units.run_sync(fails_after_writing)

    assert units.read_sync(lambda u: u.subscribers.get(8)) is None


def _server_session_status(session: Session) -> str:
    """psycopg's view of the server session: IDLE (no transaction open) or INTRANS."""
    return str(session.connection().connection.driver_connection.info.transaction_status.name)  # type: ignore[union-attr]


@needs_pg
def test_a_lookup_on_postgresql_holds_no_transaction_open() -> None:
    # What saves the BEGIN and COMMIT round trips: after a read the server's session is idle, not "in transaction".
    # (SQLite's driver opens no transaction for a read either way, so there is nothing to see there.)
    with pg_schema_url() as url:
        engine, factory = open_database(url)
        try:
            with reading(factory) as session:
                UnitOfWork(session).issues.latest()
                assert _server_session_status(session) == "IDLE"
            with transaction(factory) as session:
                UnitOfWork(session).issues.latest()
                assert _server_session_status(session) == "INTRANS"  # the same read in a transaction, for contrast
        finally:
            engine.dispose()
