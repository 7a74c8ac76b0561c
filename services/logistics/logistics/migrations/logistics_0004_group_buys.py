"""group buys logistics has heard of: their orders' parcels are held until the group
succeeded (a shipment status ``held``, no column change)

Revision ID: logistics_0004
Revises: logistics_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "logistics_0004"
down_revision = "logistics_0003"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "group_buys",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("group_buys")
