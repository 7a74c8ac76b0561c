"""indexes that let product lists, search and facets read a page, not the catalog

Revision ID: catalog_0003
Revises: catalog_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "catalog_0003"
down_revision = "catalog_0002"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND

# (name, columns): each sort of the product list in its own order with the id as the
# tie-break, so a page (and the next one, by keyset) is read straight off an index.
SORT_INDEXES = (
    ("ix_products_sales_id", ["sales_count DESC", "id"]),
    ("ix_products_price_asc_id", ["price_amount", "id"]),
    ("ix_products_price_desc_id", ["price_amount DESC", "id"]),
    ("ix_products_newest_id", ["created_at DESC", "id"]),
    ("ix_products_rating_id", ["rating_avg_x100 DESC", "id"]),
)


def upgrade() -> None:
    for name, columns in SORT_INDEXES:
        op.create_index(name, "products", [sa.text(c) for c in columns])
    # The facets' columns in one index: counting them never reads the table.
    op.create_index("ix_products_facets", "products", ["category_id", "brand", "price_amount"])
    # max(updated_at) is the catalog's version, which cached facet counts are keyed by.
    op.create_index("ix_products_updated_at", "products", ["updated_at"])
    # Search reads the weight with the token: best matches first, without the table.
    op.create_index("ix_search_tokens_lookup", "search_tokens",
                    ["token", sa.text("weight DESC"), "product_id"])
    op.create_index("ix_skus_product_stock", "skus", ["product_id", "on_hand", "reserved"])


def downgrade() -> None:
    op.drop_index("ix_skus_product_stock", "skus")
    op.drop_index("ix_search_tokens_lookup", "search_tokens")
    op.drop_index("ix_products_updated_at", "products")
    op.drop_index("ix_products_facets", "products")
    for name, _ in reversed(SORT_INDEXES):
        op.drop_index(name, "products")
