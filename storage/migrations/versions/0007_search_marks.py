"""Search index: punctuation marks between runs, so a search word with punctuation ("工作，") is answered by the
index alone (see storage.textindex). Rebuilds every article's index tokens; downgrade rebuilds them without marks.

Revision ID: 0007_search_marks
Revises: 0006_receipts
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from storage import textindex

revision = "0007_search_marks"
down_revision = "0006_receipts"
branch_labels = None
depends_on = None

_BATCH = 500


def _tokens_without_marks(text: str) -> list[str]:
    """The index tokens before this revision: each run's bigrams, then its last character."""
    tokens: list[str] = []
    for run in textindex.runs(text):
        tokens.extend(map(operator.add, run[:-1], run[1:]))
        tokens.append(run[-1])
    return tokens


def _rebuild(tokens: Callable[[str], list[str]]) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # Contentless FTS5 forgets rows only given their old tokens, or all of them at once.
        bind.exec_driver_sql("INSERT INTO article_search (article_search) VALUES ('delete-all')")
        write = sa.text("INSERT INTO article_search (rowid, title, body) VALUES (:key, :title, :body)")
    else:
        write = sa.text("UPDATE article_search SET tokens = CAST(:tokens AS tsvector) WHERE article_id = :id")
    last = -1
    while True:
        rows = bind.execute(
            sa.text("SELECT id, search_key, title, body FROM articles WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        if sqlite:
            params = [
                {"key": r.search_key, "title": " ".join(tokens(r.title)), "body": " ".join(tokens(r.body))}
                for r in rows
            ]
        else:
            params = [
                {"id": r.id, "tokens": textindex.tsvector_of(tokens(r.title + "\n" + r.body))}
                for r in rows
            ]
        bind.execute(write, params)
        last = rows[-1].id


def upgrade() -> None:
    """Re-index every article with marks."""
    _rebuild(textindex.index_tokens)


def downgrade() -> None:
    """Re-index every article without marks."""
    _rebuild(_tokens_without_marks)
