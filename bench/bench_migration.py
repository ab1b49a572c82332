"""Migration 0007 (dated issues) on an existing archive: how long the issues table rebuild takes on SQLite (and the
plain ALTERs on PostgreSQL), with rows stored before it.

    .venv/bin/python bench/bench_migration.py [--issues 20000] [--articles-per-issue 5] [--pg-url ...]

Builds a database at revision 0006 with ISSUES issues and their articles (raw SQL, as 0006 knew them), then times
storage.db.migrate to the newest revision. The baseline, measured in the same run on the same data, is a full scan
of the issues and articles tables (SELECT of every column), so the ratio says how many full reads the migration
costs. Checks that every issue and article is still there afterwards.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from storage.db import create_db_engine, migrate


def _fill(engine: Engine, issues: int, per_issue: int) -> None:
    issue_rows = [
        {"m": f"第{i % 7}号简报", "y": 2000 + i // 500, "n": i % 500 + 1, "t": i, "d": f"20{i // 500:02d}-01-01",
         "k": 730120 + i, "s": 0}
        for i in range(issues)
    ]
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO issues (masthead, year, year_key, number, total_number, publisher, date, date_key, rank_slot, "
            "footer, warnings, created_at, updated_at) VALUES (:m, :y, :y, :n, :t, '办公室', :d, :k, :s, '[]', '[]', "
            "'2024-01-01 00:00:00', '2024-01-01 00:00:00')"
        ), issue_rows)
        ids = list(conn.execute(text("SELECT id FROM issues ORDER BY id")).scalars())
        conn.execute(text(
            "INSERT INTO articles (issue_id, position, search_key, title, search_title, body) "
            "VALUES (:i, :p, :k, '标题', '标题', :b)"
        ), [{"i": issue_id, "p": p, "k": issue_id * 16 + p, "b": "正文内容。" * 80}
            for issue_id in ids for p in range(1, per_issue + 1)])


def _scan(engine: Engine) -> float:
    start = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("SELECT * FROM issues")).all()
        conn.execute(text("SELECT * FROM articles")).all()
    return time.perf_counter() - start


def _measure(name: str, url: str, issues: int, per_issue: int) -> None:
    engine = create_db_engine(url)
    migrate(engine, "0006_receipts")
    _fill(engine, issues, per_issue)
    migrate(engine, "0007_search_marks")  # the search-index rebuild before it is not what this bench measures
    baseline = min(_scan(engine) for _ in range(3))
    start = time.perf_counter()
    migrate(engine)
    elapsed = time.perf_counter() - start
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM issues")).scalar_one()
        articles = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
    engine.dispose()
    assert (kept, articles) == (issues, issues * per_issue), (kept, articles)
    print(f"{name}: {issues} issues, {articles} articles: migrate 0007 -> head (0008 dated issues) {elapsed:.2f} s; "
          f"full scan baseline {baseline:.3f} s; ratio {elapsed / baseline:.1f}x; all rows kept")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--articles-per-issue", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("BULLETIN_BOT_TEST_PG_URL", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _measure("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.issues, args.articles_per_issue)
    if args.pg_url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg_url, poolclass=NullPool)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = make_url(args.pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
            _measure("PostgreSQL", url.render_as_string(hide_password=False), args.issues, args.articles_per_issue)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
