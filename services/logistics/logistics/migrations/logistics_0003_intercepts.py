"""shipments remember when their order was cancelled after they left

Revision ID: logistics_0003
Revises: logistics_0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "logistics_0003"
down_revision = "logistics_0002"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("intercept_requested_at", sa.DateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.drop_column("intercept_requested_at")
