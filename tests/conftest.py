"""Shared fixtures.

Database tests take `db_url` (or `factory`): always SQLite in a temporary file, and PostgreSQL as well when the
environment variable BULLETIN_BOT_TEST_PG_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
Without it the PostgreSQL variants are still generated, as skipped tests with the reason (`needs_pg`), so a run
shows what it did not cover. Each PostgreSQL test gets its own schema (unique name, dropped afterwards), so parallel
runs against one database never collide.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import chinese_calendar
import pytest

# The random_seed fixture and the hook that prints it on failure (tests/seeds.py).
from seeds import pytest_runtest_makereport, random_seed  # noqa: F401
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bulletin.model import Article, Issue, TocEntry
from storage.db import open_database

PG_URL = os.environ.get("BULLETIN_BOT_TEST_PG_URL", "")
# Marks a test (or a parameter) that needs PostgreSQL: skipped, with this reason, when it is not configured.
needs_pg = pytest.mark.skipif(not PG_URL, reason="BULLETIN_BOT_TEST_PG_URL is not set: PostgreSQL variant not run")
BACKENDS = ["sqlite", pytest.param("postgres", marks=needs_pg)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A URL of an empty database: SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{os.path.join(tmp_path, 'test.sqlite3')}"
        return
    with pg_schema_url() as url:
        yield url


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """A fresh schema in the PostgreSQL test database, dropped afterwards; yields a URL whose search_path is it."""
    schema = f"test_{uuid.uuid4().hex}"
    admin = create_engine(PG_URL, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database (db_url's backend)."""
    engine, session_factory = open_database(db_url)
    yield session_factory
    engine.dispose()


def make_issue(
    number: int | None = 1,
    *,
    year: int | None = 2024,
    total: int | None = None,
    masthead: str = "某市文旅工作简报",
    date: dt.date | None = None,
    articles: list[tuple[str, list[str]]] | None = None,
    footer: tuple[str, ...] = ("报：市委办公室", "共印30份"),
) -> Issue:
    """A made-up issue; articles given as (title, paragraphs)."""
    week_offset = number or 0
    if articles is None:
        articles = [
            (f"第{number}期工作动态", ["全市各单位认真落实部署。", f"本期编号{number}。"]),
            ("景区安全检查", ["市文旅局对全市景区开展安全检查。", "检查发现问题12处，已整改。"]),
        ]
    return Issue(
        masthead=masthead,
        year=year,
        number=number,
        total_number=total,
        publisher="某市文化和旅游局办公室",
        date=date if date is not None else (dt.date(year, 1, 1) + dt.timedelta(days=7 * week_offset) if year else None),
        toc=tuple(TocEntry(title=t, section="工作动态" if i == 0 else None) for i, (t, _) in enumerate(articles)),
        articles=tuple(Article(title=t, paragraphs=tuple(ps)) for t, ps in articles),
        footer=footer,
    )


def _holiday_package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
        chinese_calendar.is_workday(dt.date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


def year_unknown_to_holiday_package(like: int) -> int:
    """The first year from LIKE on that the installed chinese-calendar does not know and whose days fall on the
    same weekdays as LIKE's (same weekday on 1 January, same leap day), so tests written for LIKE's dates hold
    whichever years the installed package covers."""
    year = like
    while (
        dt.date(year, 1, 1).weekday() != dt.date(like, 1, 1).weekday()
        or calendar.isleap(year) != calendar.isleap(like)
        or _holiday_package_knows(year)
    ):
        year += 1
    return year
