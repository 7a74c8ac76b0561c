"""insights: order adjustment facts (promotions report) and user profiles

Revision ID: analytics_0005
Revises: analytics_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0005"
down_revision = "analytics_0004"
branch_labels = None
depends_on = None
# New tables: code of the release before keeps working.
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "order_adjustment_facts",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("adjustment_no", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_index("ix_order_adjustment_facts_source_id", "order_adjustment_facts",
                    ["source_id"])
    op.create_table(
        "user_profiles",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("spent", sa.BigInteger, nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "profile_orders",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("placed", sa.Boolean, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("counted", sa.Boolean, nullable=False),
        sa.Column("spent", sa.BigInteger, nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
    )
    op.create_table(
        "user_product_units",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("units", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("user_product_units", "profile_orders", "user_profiles",
                  "order_adjustment_facts"):
        op.drop_table(table)
