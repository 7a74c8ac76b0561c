"""carts, cart lines, the local copy of the catalog's SKUs

Revision ID: cart_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "cart_0001"
down_revision = None
branch_labels = ("cart",)
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(80), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "catalog_skus",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("product_id", sa.Integer, nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price_amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("available", sa.Integer, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("listed", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cart_lines",
        sa.Column("cart_id", sa.String(40), sa.ForeignKey("carts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("sku", sa.String(64), sa.ForeignKey("catalog_skus.sku"), primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 1 AND quantity <= 99", name="ck_cart_lines_quantity"),
    )


def downgrade() -> None:
    op.drop_table("cart_lines")
    op.drop_table("catalog_skus")
    op.drop_table("carts")
