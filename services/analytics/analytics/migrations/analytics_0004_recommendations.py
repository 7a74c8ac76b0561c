"""recommendations: pair counts, popularity, user profiles, counted sessions and orders

Revision ID: analytics_0004
Revises: analytics_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0004"
down_revision = "analytics_0003"
branch_labels = None
depends_on = None
# New tables: code of the release before keeps working (see service_runtime.compatibility).
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "rec_pairs",
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("other_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_index("ix_rec_pairs_neighbours", "rec_pairs", ["kind", "product_id", "count"])
    op.create_table(
        "rec_products",
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("price", sa.BigInteger, nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("price_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_rec_products_popularity", "rec_products", ["orders", "views"])
    op.create_table(
        "rec_user_products",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("orders", sa.Integer, nullable=False),
    )
    op.create_table(
        "rec_session_products",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.create_table("rec_baskets", sa.Column("order_id", sa.String(64), primary_key=True))
    op.create_table(
        "rec_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("rec_cursors", "rec_baskets", "rec_session_products", "rec_user_products"):
        op.drop_table(table)
    op.drop_index("ix_rec_products_popularity", table_name="rec_products")
    op.drop_table("rec_products")
    op.drop_index("ix_rec_pairs_neighbours", table_name="rec_pairs")
    op.drop_table("rec_pairs")
