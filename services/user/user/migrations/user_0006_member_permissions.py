"""member permissions granted by the middle platform (integration inbound)

Revision ID: user_0006
Revises: user_0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "user_0006"
down_revision = "user_0005"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "member_permissions",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("permissions", sa.JSON, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("member_permissions")
