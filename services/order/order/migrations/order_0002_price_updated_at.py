"""sku prices remember when the catalog last changed them

Revision ID: order_0002
Revises: order_0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "order_0002"
down_revision = "order_0001"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    with op.batch_alter_table("sku_prices") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sku_prices") as batch:
        batch.drop_column("updated_at")
