"""Pushes and their delivery ledger.

Revision ID: 0002_push
Revises: 0001_archive
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_push"
down_revision = "0001_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create pushes and push_deliveries."""
    op.create_table(
        "pushes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("heartbeat", sa.DateTime(), nullable=True),
        sa.Column("materialized_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_pushes_issue_id", "pushes", ["issue_id"])
    op.create_index("ix_pushes_state_scheduled_at", "pushes", ["state", "scheduled_at"])
    op.create_table(
        "push_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("push_id", sa.Integer(), sa.ForeignKey("pushes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("original_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_type", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("push_id", "chat_id", name="uq_push_deliveries_push_chat"),
    )
    op.create_index("ix_push_deliveries_push_state", "push_deliveries", ["push_id", "state"])


def downgrade() -> None:
    """Drop the push tables."""
    op.drop_index("ix_push_deliveries_push_state", table_name="push_deliveries")
    op.drop_table("push_deliveries")
    op.drop_index("ix_pushes_state_scheduled_at", table_name="pushes")
    op.drop_index("ix_pushes_issue_id", table_name="pushes")
    op.drop_table("pushes")
