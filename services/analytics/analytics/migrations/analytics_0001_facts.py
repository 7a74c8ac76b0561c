"""behaviour events and the facts of orders, refunds and products

Revision ID: analytics_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0001"
down_revision = None
branch_labels = ("analytics",)
depends_on = None
# New tables: code of the release before keeps working (see service_runtime.compatibility).
schema_change = SchemaChange.EXPAND

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "behaviour_events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.String(512), nullable=True),
        sa.Column("product_id", sa.Integer, nullable=True),
        sa.Column("props", sa.JSON, nullable=True),
        sa.UniqueConstraint("session_id", "event_id", name="uq_behaviour_events_session_event"),
    )
    op.create_index("ix_behaviour_events_type_occurred", "behaviour_events",
                    ["type", "occurred_at"])
    op.create_table(
        "order_facts",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("total", sa.BigInteger, nullable=True),
        sa.Column("discount", sa.BigInteger, nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("placed_on", sa.Date, nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_amount", sa.BigInteger, nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_order_facts_placed_on", "order_facts", ["placed_on"])
    op.create_table(
        "order_line_facts",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("product_id", sa.Integer, nullable=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("placed_on", sa.Date, nullable=False),
    )
    op.create_index("ix_order_line_facts_product_id", "order_line_facts", ["product_id"])
    op.create_index("ix_order_line_facts_placed_on", "order_line_facts", ["placed_on"])
    op.create_table(
        "refund_facts",
        sa.Column("refund_id", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("duplicate_payment", sa.Boolean, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_refund_facts_order_id", "refund_facts", ["order_id"])
    op.create_table(
        "product_facts",
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("category_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("brand", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("product_facts", "refund_facts", "order_line_facts", "order_facts",
                  "behaviour_events"):
        op.drop_table(table)
