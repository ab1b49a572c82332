"""Shared fixtures.

Database tests take `db_url` (or `factory`): always SQLite in a temporary file, and PostgreSQL as well when the
environment variable BULLETIN_BOT_TEST_PG_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
Without it the PostgreSQL variants are still generated, as skipped tests with the reason (`needs_pg`), so a run
shows what it did not cover. Each PostgreSQL test gets its own schema (unique name, dropped afterwards), so parallel
runs against one database never collide.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.db import BACKENDS, pg_schema_url

# The random_seed fixture and the hook that prints it on failure (tests/support/seeds.py).
from support.seeds import pytest_runtest_makereport, random_seed  # noqa: F401

from storage.db import open_database


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A URL of an empty database: SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{os.path.join(tmp_path, 'test.sqlite3')}"
        return
    with pg_schema_url() as url:
        yield url


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database (db_url's backend)."""
    engine, session_factory = open_database(db_url)
    yield session_factory
    engine.dispose()
