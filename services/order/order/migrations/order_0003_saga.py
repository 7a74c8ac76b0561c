"""the order saga: payment and refund facts, deadlines, delivery time, product ids

Revision ID: order_0003
Revises: order_0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "order_0003"
down_revision = "order_0002"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("coupon_code", sa.String(64), nullable=True))
        batch.add_column(sa.Column("payment_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("payment_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("payment_method", sa.String(20), nullable=True))
        batch.add_column(sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cash_on_delivery", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("refunded_amount", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_orders_status_due", ["status", "payment_due_at"])
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("product_id", sa.Integer, nullable=True))
    with op.batch_alter_table("sku_prices") as batch:
        batch.add_column(sa.Column("product_id", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sku_prices") as batch:
        batch.drop_column("product_id")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("product_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_status_due")
        for column in ("delivered_at", "refunded_amount", "cash_on_delivery", "paid_at",
                       "payment_method", "payment_id", "payment_due_at", "coupon_code"):
            batch.drop_column(column)
