"""exact rating totals; returns restocked once

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("rating_total", sa.Integer, nullable=False,
                                   server_default="0"))
    # Best estimate for ratings counted before the total was kept.
    op.execute("UPDATE products SET rating_total = (rating_avg_x100 * rating_count + 50) / 100")
    op.create_table(
        "restocked_returns",
        sa.Column("return_id", sa.String(64), primary_key=True),
        sa.Column("restocked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("restocked_returns")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("rating_total")
