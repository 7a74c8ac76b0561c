"""demo history: the marker of a generated demo shopping history

Revision ID: analytics_0006
Revises: analytics_0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0006"
down_revision = "analytics_0005"
branch_labels = None
depends_on = None
# A new table: code of the release before keeps working.
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.create_table(
        "demo_histories",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("shoppers", sa.Integer, nullable=False),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("behaviour_events", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("demo_histories")
