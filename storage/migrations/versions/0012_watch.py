"""The website watch: watched sources and the documents seen on them.

Revision ID: 0012_watch
Revises: 0011_search_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_watch"
down_revision = "0011_search_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create watch_sources and watch_seen."""
    op.create_table(
        "watch_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False, unique=True),
        sa.Column("every_seconds", sa.Integer(), nullable=False),
        sa.Column("match", sa.Text(), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_config", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("primed", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(), nullable=False),
        sa.Column("last_poll_at", sa.DateTime(), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_table(
        "watch_seen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "source_id", sa.Integer(), sa.ForeignKey("watch_sources.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
        sa.Column("published", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("source_id", "url", name="uq_watch_seen_source_url"),
    )
    op.create_index("ix_watch_seen_sha256", "watch_seen", ["sha256"])
    op.create_index("ix_watch_seen_state", "watch_seen", ["state"])


def downgrade() -> None:
    """Drop the watch tables."""
    op.drop_index("ix_watch_seen_state", table_name="watch_seen")
    op.drop_index("ix_watch_seen_sha256", table_name="watch_seen")
    op.drop_table("watch_seen")
    op.drop_table("watch_sources")
