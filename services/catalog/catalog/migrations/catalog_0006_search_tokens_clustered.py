"""search_tokens keyed by how search reads them: (token, weight DESC, product_id) is the
table's own order on SQLite (WITHOUT ROWID), and PostgreSQL drops the (token, product_id)
primary key that only repeated what the lookup index holds; each product's ~90 token rows
go into two B-trees instead of four (SQLite) or into two indexes instead of three

Revision ID: catalog_0006
Revises: catalog_0005
Create Date: 2026-12-05
"""

from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "catalog_0006"
down_revision = "catalog_0005"
branch_labels = None
depends_on = None
# Code of any release writes a product's tokens only after deleting its old ones, so a
# (token, product_id) pair never repeats without the constraint that forbade it.
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(
            "token VARCHAR(32) NOT NULL, weight INTEGER NOT NULL, product_id INTEGER NOT NULL,"
            " PRIMARY KEY (token, weight DESC, product_id)) WITHOUT ROWID",
            ("ix_search_tokens_product_id (product_id)",))
    else:
        op.drop_constraint("search_tokens_pkey", "search_tokens", type_="primary")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(
            "token VARCHAR(32) NOT NULL, product_id INTEGER NOT NULL, weight INTEGER NOT NULL,"
            " PRIMARY KEY (token, product_id))",
            ("ix_search_tokens_product_id (product_id)",
             "ix_search_tokens_lookup (token, weight DESC, product_id)"))
    else:
        op.create_primary_key("search_tokens_pkey", "search_tokens", ["token", "product_id"])


def _rebuild_on_sqlite(columns: str, indexes: tuple[str, ...]) -> None:
    """SQLite cannot change a table's key: the rows are copied into a new table."""
    op.execute(f"CREATE TABLE search_tokens_rebuilt ({columns}")
    op.execute("INSERT INTO search_tokens_rebuilt (token, weight, product_id) "
               "SELECT token, weight, product_id FROM search_tokens "
               "ORDER BY token, weight DESC, product_id")
    op.drop_table("search_tokens")
    op.rename_table("search_tokens_rebuilt", "search_tokens")
    for index in indexes:
        op.execute(f"CREATE INDEX {index.replace(' (', ' ON search_tokens (', 1)}")
