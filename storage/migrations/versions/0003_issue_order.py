"""Issues: a stored, indexed newest-first sort key, and an index for year-number references.

The newest-first order (date desc with undated issues last, year desc, number desc, id desc) used to sort on
coalesce(date, ...), which no index can serve, so the newest issue, a page of issues and the previous issue
each read the whole table. date_key stores that coalesced date (a proleptic Gregorian ordinal, 0 when the
issue has no date, as year_key does for the year), and ix_issues_newest_first is the order itself.

Revision ID: 0003_issue_order
Revises: 0002_push
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_issue_order"
down_revision = "0002_push"
branch_labels = None
depends_on = None

# date.toordinal() in SQL: julianday('0001-01-01') is 1721425.5 and that date's ordinal is 1.
_BACKFILL = {
    "sqlite": "UPDATE issues SET date_key = CAST(julianday(date) - 1721424.5 AS INTEGER) WHERE date IS NOT NULL",
    "postgresql": "UPDATE issues SET date_key = (date - DATE '0001-01-01') + 1 WHERE date IS NOT NULL",
}


def upgrade() -> None:
    """Add and fill issues.date_key; index the newest-first order and (year_key, number)."""
    # A plain ADD COLUMN (with a default, so NOT NULL holds for existing rows): a batch table copy on SQLite
    # would drop the old issues table, and with foreign keys on that cascades to every article.
    op.add_column("issues", sa.Column("date_key", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    op.create_index("ix_issues_newest_first", "issues", ["date_key", "year_key", "number", "id"])
    op.create_index("ix_issues_year_number", "issues", ["year_key", "number", "date_key", "id"])


def downgrade() -> None:
    """Drop the indexes and issues.date_key (ALTER TABLE DROP COLUMN, no table copy)."""
    op.drop_index("ix_issues_year_number", table_name="issues")
    op.drop_index("ix_issues_newest_first", table_name="issues")
    op.drop_column("issues", "date_key")
