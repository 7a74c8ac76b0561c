"""notifications carry their delivery job's retry state (attempts, backoff, lease, parked)

Revision ID: user_0004
Revises: user_0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "user_0004"
down_revision = "user_0003"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # All nullable or defaulted: a worker of the previous release keeps inserting rows.
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", TS, nullable=True))
        batch.add_column(sa.Column("lease_until", TS, nullable=True))
        batch.add_column(sa.Column("parked_at", TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        for column in ("parked_at", "lease_until", "next_attempt_at", "attempts"):
            batch.drop_column(column)
