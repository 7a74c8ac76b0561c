"""orders keep a copy of the shipping address taken at checkout

Revision ID: order_0004
Revises: order_0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "order_0004"
down_revision = "order_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_address", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_address")
