"""schema_compatibility: per branch, the oldest code that can run on the schema

Revision ID: runtime_0002
Revises: runtime_0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "runtime_0002"
down_revision = "runtime_0001"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "schema_compatibility",
        sa.Column("branch", sa.String(100), primary_key=True),
        sa.Column("head", sa.String(100), nullable=False),
        sa.Column("oldest_compatible", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schema_compatibility")
