"""payments keep the redirect their provider gave (the sandbox: a signed cashier link)

Revision ID: payment_0006
Revises: payment_0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0006"
down_revision = "payment_0005"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # Payments pending before this revision get no link: the cashier now refuses one
    # without a signed token, so their buyers start a new attempt.
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("next_action_url", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("next_action_url")
