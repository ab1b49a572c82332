"""PostgreSQL for the tests: whether it is configured, and a fresh schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

PG_URL = os.environ.get("BULLETIN_BOT_TEST_PG_URL", "")
# Marks a test (or a parameter) that needs PostgreSQL: skipped, with this reason, when it is not configured.
needs_pg = pytest.mark.skipif(not PG_URL, reason="BULLETIN_BOT_TEST_PG_URL is not set: PostgreSQL variant not run")
BACKENDS = ["sqlite", pytest.param("postgres", marks=needs_pg)]


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
