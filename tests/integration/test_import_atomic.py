"""A failure inside an import after the issue row is written leaves nothing stored (no partial issue).

Through the real entry point (`bulletin-bot import`, a process) on SQLite and PostgreSQL. The fault is planted in
the database itself, not in our code: a trigger that refuses the second article, or the audit record, which are
written after the issue row, its contents and (for the audit) its articles.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from support.cli import _bulletin_bot

from storage.db import open_database

# Written after the issues row: the second article (the first is already in), or the audit record (last of all).
FAULTS = {"articles": "NEW.position = 2", "access_audit": "true"}
TABLES = ("issues", "toc_entries", "articles", "article_search", "access_audit")


def plant_fault(engine: Engine, table: str) -> None:
    """A trigger that makes the database refuse rows of TABLE (where FAULTS says)."""
    when = FAULTS[table]
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(
                f"CREATE TRIGGER planted_fault BEFORE INSERT ON {table} WHEN {when} "
                "BEGIN SELECT RAISE(ABORT, 'planted fault'); END"
            ))
        else:
            conn.execute(text(
                "CREATE FUNCTION planted_fault() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'planted fault'; END $$"
            ))
            conn.execute(text(
                f"CREATE TRIGGER planted_fault BEFORE INSERT ON {table} FOR EACH ROW WHEN ({when}) "
                "EXECUTE FUNCTION planted_fault()"
            ))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) for table in TABLES}


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine, _factory = open_database(db_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


@pytest.mark.parametrize("table", sorted(FAULTS))
def test_a_fault_after_the_issue_row_leaves_nothing_stored(
    db_url: str, engine: Engine, config: Path, files: dict[str, Path], table: str
) -> None:
    plant_fault(engine, table)
    path = files["issue3.txt"]
    result = _bulletin_bot(db_url, config, "import", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}: error: database error (")
    assert "Traceback" not in result.stderr
    assert counts(engine) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize("table", sorted(FAULTS))
def test_a_replacement_that_fails_half_way_leaves_the_stored_issue_as_it_was(
    db_url: str, engine: Engine, config: Path, files: dict[str, Path], table: str
) -> None:
    assert _bulletin_bot(db_url, config, "import", str(files["issue3.txt"])).returncode == 0
    before = counts(engine)
    plant_fault(engine, table)
    corrected = files["issue3-corrected.txt"]
    result = _bulletin_bot(db_url, config, "import", "--replace", str(corrected))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{corrected}: error: database error (")
    assert counts(engine) == before
    shown = _bulletin_bot(db_url, config, "show", "2024-3", "1").stdout
    assert "共清理河道42公里" in shown and "45公里" not in shown
