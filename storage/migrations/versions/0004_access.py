"""Access: admins added at run time, invites, subscription requests, audit log.

Revision ID: 0004_access
Revises: 0003_issue_order
"""

from __future__ import annotations

revision = "0004_access"
down_revision = "0003_issue_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create this revision's tables."""


def downgrade() -> None:
    """Drop this revision's tables."""
