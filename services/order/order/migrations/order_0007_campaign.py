"""orders remember the campaign they were bought through (a group buy, a flash sale)

Revision ID: order_0007
Revises: order_0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "order_0007"
down_revision = "order_0006"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # Nullable: ordinary orders have none, and the previous release inserts without it.
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("campaign", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("campaign")
