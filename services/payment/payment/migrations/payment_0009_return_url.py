"""payments keep where the provider's cashier sends the buyer back (return_url)

Revision ID: payment_0009
Revises: payment_0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0009"
down_revision = "payment_0008"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("return_url", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("return_url")
