"""Publications (刊物): one per masthead, issues.publication_id, and subscribers' choices of them.

Every masthead stored so far becomes a publication (on by default); each issue points at its masthead's. Every
subscriber (active or not) keeps receiving every existing publication: the migration writes that choice for each,
so a `[publications]` default of false later cannot silently drop a subscriber who had it.

On SQLite, adding a NOT NULL foreign key rebuilds the issues table: storage.db.migrate runs migrations with foreign
keys off, so that dropping the old table does not cascade to articles, receipts and pushes.

Revision ID: 0009_publications
Revises: 0008_dated_issues
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_publications"
down_revision = "0008_dated_issues"
branch_labels = None
depends_on = None

_NULL_NUMBER = sa.text("number IS NULL")


def upgrade() -> None:
    """Create publications and publication_choices; fill them and issues.publication_id from the stored data."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0009 rebuilds the issues table: run it through storage.db.migrate (foreign keys off)")
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("masthead", sa.Text(), nullable=False, unique=True),
        sa.Column("name", sa.String(40), nullable=True),
        sa.Column("default_on", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.execute(
        "INSERT INTO publications (masthead, name, default_on, created_at) "
        "SELECT masthead, NULL, TRUE, min(created_at) FROM issues GROUP BY masthead ORDER BY min(id)"
    )
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("publication_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE issues SET publication_id = (SELECT p.id FROM publications p WHERE p.masthead = issues.masthead)"
    )
    # A partial index might not survive SQLite's table rebuild as partial: it is made again after it.
    op.drop_index("uq_issues_dated", table_name="issues")
    with op.batch_alter_table("issues") as batch:
        batch.alter_column("publication_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_issues_publication", "publications", ["publication_id"], ["id"])
    op.create_index(
        "uq_issues_dated", "issues", ["masthead", "date_key"], unique=True,
        sqlite_where=_NULL_NUMBER, postgresql_where=_NULL_NUMBER,
    )
    op.create_index(
        "ix_issues_publication_newest_first", "issues",
        ["publication_id", "date_key", "year_key", "number_key", "id"],
    )
    op.create_table(
        "publication_choices",
        sa.Column(
            "subscriber_id", sa.Integer(), sa.ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "publication_id", sa.Integer(), sa.ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("wanted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.execute(
        "INSERT INTO publication_choices (subscriber_id, publication_id, wanted, updated_at) "
        "SELECT s.id, p.id, TRUE, p.created_at FROM subscribers s CROSS JOIN publications p"
    )


def downgrade() -> None:
    """Drop the choices, issues.publication_id and the publications (the issues keep their mastheads)."""
    op.drop_table("publication_choices")
    op.drop_index("ix_issues_publication_newest_first", table_name="issues")
    op.drop_index("uq_issues_dated", table_name="issues")
    with op.batch_alter_table("issues") as batch:
        batch.drop_constraint("fk_issues_publication", type_="foreignkey")
        batch.drop_column("publication_id")
    op.create_index(
        "uq_issues_dated", "issues", ["masthead", "date_key"], unique=True,
        sqlite_where=_NULL_NUMBER, postgresql_where=_NULL_NUMBER,
    )
    op.drop_table("publications")
