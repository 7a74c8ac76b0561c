"""order lines keep their payable from OrderPlaced (refunds give back its share)

Revision ID: aftersales_0003
Revises: aftersales_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "aftersales_0003"
down_revision = "aftersales_0002"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # Nullable: lines copied before (and orders placed before promotions) have none and
    # are refunded at unit prices.
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("payable_amount", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("payable_amount")
