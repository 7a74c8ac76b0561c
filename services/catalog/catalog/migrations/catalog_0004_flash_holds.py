"""flash-sale holds: sessions seen, units set apart per session and SKU, orders' takes

Revision ID: catalog_0004
Revises: catalog_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "catalog_0004"
down_revision = "catalog_0003"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "flash_hold_sessions",
        sa.Column("session_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
    )
    op.create_table(
        "flash_holds",
        sa.Column("session_id", sa.String(40), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("held", sa.Integer, nullable=False),
        sa.Column("units_left", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.CheckConstraint("units_left >= 0 AND units_left <= held", name="ck_flash_holds_left"),
    )
    op.create_table(
        "flash_order_takes",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("flash_order_takes")
    op.drop_table("flash_holds")
    op.drop_table("flash_hold_sessions")
