"""payments keep the redirect their provider gave (the sandbox: a signed cashier link)

Revision ID: payment_0006
Revises: payment_0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "payment_0006"
down_revision = "payment_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Payments pending before this revision get no link: the cashier now refuses one
    # without a signed token, so their buyers start a new attempt.
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("next_action_url", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("next_action_url")
