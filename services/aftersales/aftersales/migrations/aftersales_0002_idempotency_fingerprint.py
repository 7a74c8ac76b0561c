"""return requests keep the fingerprint of the request their Idempotency-Key came with

Revision ID: aftersales_0002
Revises: aftersales_0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "aftersales_0002"
down_revision = "aftersales_0001"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # Rows made before keep NULL: they replay for their key as they always did.
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("idempotency_fingerprint", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.drop_column("idempotency_fingerprint")
