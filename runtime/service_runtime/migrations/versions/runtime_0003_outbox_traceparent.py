"""outbox_messages.traceparent: the trace context each event is published with

Revision ID: runtime_0003
Revises: runtime_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "runtime_0003"
down_revision = "runtime_0002"
branch_labels = None
depends_on = None
# A nullable column: code before it keeps inserting rows without it.
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("traceparent", sa.String(55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("traceparent")
