"""orders as logistics knows them, shipments, their tracking timeline

Revision ID: logistics_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "logistics_0001"
down_revision = None
branch_labels = ("logistics",)
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(100), primary_key=True),
        sa.Column("user_id", sa.String(100), nullable=True, index=True),
        sa.Column("delivery_method", sa.String(20), nullable=True),
        sa.Column("address_id", sa.String(100), nullable=True),
        sa.Column("lines", sa.JSON, nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_id", sa.String(100), sa.ForeignKey("orders.order_id"), nullable=False,
                  index=True),
        sa.Column("origin", sa.String(120), nullable=False),
        sa.Column("return_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("cash_on_delivery", sa.Boolean, nullable=False),
        sa.Column("delivery_method", sa.String(20), nullable=True),
        sa.Column("estimated_delivery", sa.Date, nullable=True),
        sa.Column("pickup_code", sa.String(6), nullable=True),
        sa.Column("lines", sa.JSON, nullable=True),
        sa.Column("carrier", sa.String(20), nullable=True),
        sa.Column("tracking_number", sa.String(40), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("order_id", "origin", name="uq_shipments_order_origin"),
        sa.UniqueConstraint("carrier", "tracking_number", name="uq_shipments_tracking"),
    )
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("shipment_id", sa.String(40), sa.ForeignKey("shipments.id"), nullable=False,
                  index=True),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("shipment_id", "event_id", name="uq_tracking_events_event"),
    )


def downgrade() -> None:
    op.drop_table("tracking_events")
    op.drop_table("shipments")
    op.drop_table("orders")
