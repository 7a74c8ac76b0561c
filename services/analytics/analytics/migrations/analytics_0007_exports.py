"""exports: tags imported from the big-data platform; the feed's records by type and id

Revision ID: analytics_0007
Revises: analytics_0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0007"
down_revision = "analytics_0006"
branch_labels = None
depends_on = None
# A new table and an index: code of the release before keeps working.
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "imported_profile_tags",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_integration_records_type_id", "integration_records",
                    ["entity_type", "id"])


def downgrade() -> None:
    op.drop_index("ix_integration_records_type_id", "integration_records")
    op.drop_table("imported_profile_tags")
