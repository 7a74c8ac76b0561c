"""recommendations: when each order and (visit, product) was counted, so they can be pruned

Revision ID: analytics_0008
Revises: analytics_0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0008"
down_revision = "analytics_0007"
branch_labels = None
depends_on = None
# Nullable columns and their indexes: code of the release before keeps inserting rows
# without them (the pruning job dates such rows when it finds them).
schema_change = SchemaChange.EXPAND

TABLES = ("rec_session_products", "rec_baskets")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("counted_at", sa.DateTime(timezone=True),
                                       nullable=True))
        op.create_index(f"ix_{table}_counted_at", table, ["counted_at"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_counted_at", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("counted_at")
