"""Receipts: acknowledgements, article opens and reminders per issue and subscriber.

Revision ID: 0006_receipts
Revises: 0005_publishing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_receipts"
down_revision = "0005_publishing"
branch_labels = None
depends_on = None


def _issue_fk() -> sa.Column[int]:
    return sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    """Create receipt_acks, receipt_article_opens and receipt_reminders."""
    op.create_table(
        "receipt_acks",
        sa.Column("id", sa.Integer(), primary_key=True),
        _issue_fk(),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("issue_id", "chat_id", "user_id", name="uq_receipt_acks_issue_chat_user"),
    )
    op.create_index("ix_receipt_acks_issue_chat", "receipt_acks", ["issue_id", "chat_id"])
    op.create_table(
        "receipt_article_opens",
        sa.Column("id", sa.Integer(), primary_key=True),
        _issue_fk(),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.UniqueConstraint("issue_id", "chat_id", "position", name="uq_receipt_opens_issue_chat_position"),
    )
    op.create_table(
        "receipt_reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        _issue_fk(),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.UniqueConstraint("issue_id", "chat_id", name="uq_receipt_reminders_issue_chat"),
    )


def downgrade() -> None:
    """Drop the receipt tables."""
    op.drop_table("receipt_reminders")
    op.drop_table("receipt_article_opens")
    op.drop_index("ix_receipt_acks_issue_chat", table_name="receipt_acks")
    op.drop_table("receipt_acks")
