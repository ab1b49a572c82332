"""The web reader's one-time sign-in links (web_signins).

Revision ID: 0013_web_signins
Revises: 0012_watch
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0013_web_signins"
down_revision = "0012_watch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create web_signins."""
    op.create_table(
        "web_signins",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_web_signins_expires", "web_signins", ["expires_at"])


def downgrade() -> None:
    """Drop web_signins."""
    op.drop_index("ix_web_signins_expires", table_name="web_signins")
    op.drop_table("web_signins")
