"""tags (older code never reads them), and the code of this release stops reading notes.body

Revision ID: tally_0003
Revises: tally_0002
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "tally_0003"
down_revision = "tally_0002"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(50), nullable=False))
