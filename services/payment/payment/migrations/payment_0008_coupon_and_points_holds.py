"""an order is payable once its stock, its coupon and its points are held: payables know
what they need, the order's progress what was locked

Revision ID: payment_0008
Revises: payment_0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0008"
down_revision = "payment_0007"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # Defaults false: payables made before need neither, as they did not.
    with op.batch_alter_table("payables") as batch:
        batch.add_column(sa.Column("needs_coupon", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("needs_points", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("order_signals") as batch:
        batch.add_column(sa.Column("coupon_locked", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("points_locked", sa.Boolean, nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("order_signals") as batch:
        batch.drop_column("points_locked")
        batch.drop_column("coupon_locked")
    with op.batch_alter_table("payables") as batch:
        batch.drop_column("needs_points")
        batch.drop_column("needs_coupon")
