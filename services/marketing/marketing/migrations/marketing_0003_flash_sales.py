"""flash sales: sessions, items, buyers' counts, attempts

Revision ID: marketing_0003
Revises: marketing_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "marketing_0003"
down_revision = "marketing_0002"
branch_labels = None
depends_on = None
# New tables: code of the release before keeps working.
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "flash_sessions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False, index=True),
        sa.Column("payment_seconds", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "flash_items",
        sa.Column("session_id", sa.String(40), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("product_id", sa.Integer, nullable=True),
        sa.Column("flash_price", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("held", sa.Integer, nullable=True),
        sa.Column("remaining", sa.Integer, nullable=False),
        sa.Column("per_user_limit", sa.Integer, nullable=False),
        sa.Column("stock_status", sa.String(10), nullable=False),
        sa.CheckConstraint("remaining >= 0", name="ck_flash_items_remaining"),
    )
    op.create_table(
        "flash_buyers",
        sa.Column("session_id", sa.String(40), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("bought", sa.Integer, nullable=False),
        sa.CheckConstraint("bought >= 0", name="ck_flash_buyers_bought"),
    )
    op.create_table(
        "flash_attempts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("session_id", sa.String(40), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True, index=True),
        sa.Column("payment_due_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_flash_attempts_item_status", "flash_attempts",
                    ["session_id", "sku", "status"])


def downgrade() -> None:
    op.drop_table("flash_attempts")
    op.drop_table("flash_buyers")
    op.drop_table("flash_items")
    op.drop_table("flash_sessions")
