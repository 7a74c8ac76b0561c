"""refunds and sandbox notifications carry their job's retry state (backoff, lease, parked)

Revision ID: payment_0007
Revises: payment_0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0007"
down_revision = "payment_0006"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # All nullable: a worker of the previous release keeps inserting and completing rows.
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("next_attempt_at", TS, nullable=True))
        batch.add_column(sa.Column("lease_until", TS, nullable=True))
        batch.add_column(sa.Column("parked_at", TS, nullable=True))
    with op.batch_alter_table("sandbox_notifications") as batch:
        batch.add_column(sa.Column("lease_until", TS, nullable=True))
        batch.add_column(sa.Column("parked_at", TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sandbox_notifications") as batch:
        batch.drop_column("parked_at")
        batch.drop_column("lease_until")
    with op.batch_alter_table("refunds") as batch:
        for column in ("parked_at", "lease_until", "next_attempt_at"):
            batch.drop_column(column)
