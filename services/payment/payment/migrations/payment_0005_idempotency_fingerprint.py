"""payments, top-ups and withdrawals keep the fingerprint of their Idempotency-Key's request

Revision ID: payment_0005
Revises: payment_0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0005"
down_revision = "payment_0004"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # Rows made before keep NULL: they replay for their key as they always did.
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("idempotency_fingerprint", sa.String(64), nullable=True))
    with op.batch_alter_table("withdrawals") as batch:
        batch.add_column(sa.Column("idempotency_fingerprint", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("idempotency_fingerprint")
    with op.batch_alter_table("withdrawals") as batch:
        batch.drop_column("idempotency_fingerprint")
