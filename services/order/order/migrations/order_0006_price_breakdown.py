"""orders keep the price breakdown of the marketing quote; lines their payable, points and
allocations

Revision ID: order_0006
Revises: order_0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "order_0006"
down_revision = "order_0005"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # All nullable: orders placed before keep NULL (their total is the sum of the lines),
    # and an API of the previous release keeps inserting rows without them.
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("discount_total", sa.Integer, nullable=True))
        batch.add_column(sa.Column("shipping_amount", sa.Integer, nullable=True))
        batch.add_column(sa.Column("adjustments", sa.JSON, nullable=True))
        batch.add_column(sa.Column("user_coupon_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("points_used", sa.Integer, nullable=True))
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("payable_amount", sa.Integer, nullable=True))
        batch.add_column(sa.Column("points", sa.Integer, nullable=True))
        batch.add_column(sa.Column("allocations", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("allocations")
        batch.drop_column("points")
        batch.drop_column("payable_amount")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("points_used")
        batch.drop_column("user_coupon_id")
        batch.drop_column("adjustments")
        batch.drop_column("shipping_amount")
        batch.drop_column("discount_total")
