"""PostgreSQL search table: each article's search_key, folded title and title tokens beside its tokens, so a search
reads a page newest first off an index (a common word stops after the page instead of sorting every match) and
ranks by title without joining articles; the tokens gain the junctions of punctuation (storage.textindex.pg_tokens),
so a word with punctuation no longer has every article as a candidate. SQLite is unchanged (its FTS5 rowid is the
search_key already, and its phrases have positions).

Revision ID: 0011_search_order
Revises: 0010_ledger_pending_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage import textindex

revision = "0011_search_order"
down_revision = "0010_ledger_pending_order"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    """Add search_key, title and title_tokens to article_search (PostgreSQL), filled from articles, indexed."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    op.execute(
        "ALTER TABLE article_search ADD COLUMN search_key BIGINT, ADD COLUMN title TEXT, "
        "ADD COLUMN title_tokens tsvector"
    )
    last = -1
    write = sa.text(
        "UPDATE article_search SET search_key = :key, title = :title, title_tokens = CAST(:title_tokens AS tsvector), "
        "tokens = CAST(:tokens AS tsvector) WHERE article_id = :id"
    )
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, search_key, title, search_title, body FROM articles WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        bind.execute(
            write,
            [
                {
                    "id": r.id, "key": r.search_key, "title": r.search_title,
                    "title_tokens": textindex.tsvector(r.title), "tokens": textindex.tsvector(r.title + "\n" + r.body),
                }
                for r in rows
            ],
        )
        last = rows[-1].id
    op.execute(
        "ALTER TABLE article_search ALTER COLUMN search_key SET NOT NULL, ALTER COLUMN title SET NOT NULL, "
        "ALTER COLUMN title_tokens SET NOT NULL"
    )
    op.create_index("ix_article_search_key", "article_search", ["search_key"], unique=True)
    op.create_index("ix_article_search_title_tokens", "article_search", ["title_tokens"], postgresql_using="gin")
    # The planner picks between the search_key order and the GIN indexes from the statistics of the new columns.
    op.execute("ANALYZE article_search")


def downgrade() -> None:
    """Drop the columns (and their indexes) again; tokens without junctions."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    op.drop_index("ix_article_search_title_tokens", table_name="article_search")
    op.drop_index("ix_article_search_key", table_name="article_search")
    op.execute(
        "ALTER TABLE article_search DROP COLUMN search_key, DROP COLUMN title, DROP COLUMN title_tokens"
    )
    last = -1
    write = sa.text("UPDATE article_search SET tokens = CAST(:tokens AS tsvector) WHERE article_id = :id")
    while True:
        rows = bind.execute(
            sa.text("SELECT id, title, body FROM articles WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        bind.execute(write, [
            {"id": r.id, "tokens": textindex.tsvector_of(textindex.index_tokens(r.title + "\n" + r.body))}
            for r in rows
        ])
        last = rows[-1].id
