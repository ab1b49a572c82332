"""pushes.ledger_through: the subscriber id a publication push's ledger is written through, batch by batch (a
push to a million subscribers sends after its first batch instead of after one 43-second INSERT).

Revision ID: 0014_ledger_batches
Revises: 0013_web_signins
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_ledger_batches"
down_revision = "0013_web_signins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pushes") as batch:
        batch.add_column(sa.Column("ledger_through", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pushes") as batch:
        batch.drop_column("ledger_through")
