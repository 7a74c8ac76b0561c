"""search_tokens without a foreign key to products: the index is derived data that only the
catalog's own indexing writes, and checking each of a product's ~100 token rows against
products was a quarter of a bulk import's time on PostgreSQL

Revision ID: catalog_0005
Revises: catalog_0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "catalog_0005"
down_revision = "catalog_0004"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND  # code of any release writes only products' own ids


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(references_products=False)
    else:
        op.drop_constraint("search_tokens_product_id_fkey", "search_tokens",
                           type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(references_products=True)
    else:
        op.create_foreign_key("search_tokens_product_id_fkey", "search_tokens", "products",
                              ["product_id"], ["id"])


def _rebuild_on_sqlite(references_products: bool) -> None:
    """SQLite cannot drop or add a constraint: the table is copied into a new one."""
    product_id = (sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"),
                            primary_key=True) if references_products
                  else sa.Column("product_id", sa.Integer, primary_key=True))
    op.create_table("search_tokens_rebuilt",
                    sa.Column("token", sa.String(32), primary_key=True), product_id,
                    sa.Column("weight", sa.Integer, nullable=False))
    op.execute("INSERT INTO search_tokens_rebuilt (token, product_id, weight) "
               "SELECT token, product_id, weight FROM search_tokens")
    op.drop_table("search_tokens")
    op.rename_table("search_tokens_rebuilt", "search_tokens")
    op.create_index("ix_search_tokens_product_id", "search_tokens", ["product_id"])
    op.create_index("ix_search_tokens_lookup", "search_tokens",
                    ["token", sa.text("weight DESC"), "product_id"])
