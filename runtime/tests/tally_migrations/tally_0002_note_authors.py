"""notes have an author (nullable: older code writes none)

Revision ID: tally_0002
Revises: tally_0001
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "tally_0002"
down_revision = "tally_0001"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("author", sa.String(50), nullable=True))
