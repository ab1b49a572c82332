"""Receipts: acknowledgements, article opens and reminders per issue and subscriber.

Revision ID: 0006_receipts
Revises: 0005_publishing
"""

from __future__ import annotations

revision = "0006_receipts"
down_revision = "0005_publishing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create this revision's tables."""


def downgrade() -> None:
    """Drop this revision's tables."""
