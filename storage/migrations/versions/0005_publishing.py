"""Publishing in chat: uploads awaiting approval, handling marks, corrections and their per-chat outcomes.

Revision ID: 0005_publishing
Revises: 0004_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_publishing"
down_revision = "0004_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create desk_approvals, issue_marks, desk_corrections and desk_correction_results."""
    op.create_table(
        "desk_approvals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uploader_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("issue_json", sa.Text(), nullable=False),
        sa.Column("replace", sa.Boolean(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_desk_approvals_state", "desk_approvals", ["state"])
    op.create_table(
        "issue_marks",
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("marked_by", sa.BigInteger(), nullable=True),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "desk_corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_desk_corrections_issue_id", "desk_corrections", ["issue_id"])
    op.create_table(
        "desk_correction_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "correction_id", sa.Integer(), sa.ForeignKey("desk_corrections.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("correction_id", "chat_id", name="uq_desk_correction_results_chat"),
    )


def downgrade() -> None:
    """Drop this revision's tables."""
    op.drop_table("desk_correction_results")
    op.drop_index("ix_desk_corrections_issue_id", table_name="desk_corrections")
    op.drop_table("desk_corrections")
    op.drop_table("issue_marks")
    op.drop_index("ix_desk_approvals_state", table_name="desk_approvals")
    op.drop_table("desk_approvals")
