"""notes

Revision ID: tally_0001
Revises: None
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "tally_0001"
down_revision = None
branch_labels = ("tally",)
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("body", sa.Text, nullable=False))
