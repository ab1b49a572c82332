"""Issues without a number (dated reports such as 每日动态 and 工作周报), the printed week and handling marks,
and the office's remembered corrections of a series' masthead or publisher.

issues.number becomes nullable; number_key (number, or 0) takes its place in the newest-first index, like year_key
and date_key; a dated report is unique by masthead and date (uq_issues_dated, partial on number IS NULL). Existing
rows keep their values (number_key is filled from number).

On SQLite, making a column nullable rebuilds the table: storage.db.migrate runs migrations with foreign keys off,
so that dropping the old issues table does not cascade to articles, receipts and pushes.

Revision ID: 0008_dated_issues
Revises: 0007_search_marks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_dated_issues"
down_revision = "0007_search_marks"
branch_labels = None
depends_on = None

_NULL_NUMBER = sa.text("number IS NULL")


def _refuse_cascading_rebuild() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0007 rebuilds the issues table: run it through storage.db.migrate (foreign keys off)")


def upgrade() -> None:
    """Make issues.number nullable; add number_key (in the order indexes), week, marks, uq_issues_dated and
    series_aliases."""
    _refuse_cascading_rebuild()
    op.drop_index("ix_issues_newest_first", table_name="issues")
    op.drop_index("ix_issues_year_number", table_name="issues")
    with op.batch_alter_table("issues") as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("number_key", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("week", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("marks", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.execute("UPDATE issues SET number_key = number WHERE number IS NOT NULL")
    op.create_index("ix_issues_newest_first", "issues", ["date_key", "year_key", "number_key", "id"])
    op.create_index("ix_issues_year_number", "issues", ["year_key", "number_key", "date_key", "id"])
    op.create_index(
        "uq_issues_dated", "issues", ["masthead", "date_key"], unique=True,
        sqlite_where=_NULL_NUMBER, postgresql_where=_NULL_NUMBER,
    )
    op.create_table(
        "series_aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("parsed_masthead", sa.Text(), nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("parsed_masthead", "field", name="uq_series_aliases_field"),
    )


def downgrade() -> None:
    """Drop series_aliases and the new columns; dated reports (no number) cannot exist before 0007 and are deleted."""
    op.drop_table("series_aliases")
    op.drop_index("uq_issues_dated", table_name="issues")
    op.drop_index("ix_issues_newest_first", table_name="issues")
    op.drop_index("ix_issues_year_number", table_name="issues")
    op.execute("DELETE FROM issues WHERE number IS NULL")
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("marks")
        batch.drop_column("week")
        batch.drop_column("number_key")
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
    op.create_index("ix_issues_newest_first", "issues", ["date_key", "year_key", "number", "id"])
    op.create_index("ix_issues_year_number", "issues", ["year_key", "number", "date_key", "id"])
