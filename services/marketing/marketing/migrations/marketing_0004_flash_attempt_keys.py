"""flash attempts keep the Idempotency-Key they were won with: a buyer's retry (a double
press) finds its first attempt instead of taking another unit

Revision ID: marketing_0004
Revises: marketing_0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "marketing_0004"
down_revision = "marketing_0003"
branch_labels = None
depends_on = None
# Nullable columns: code of the release before writes attempts without them.
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    op.add_column("flash_attempts", sa.Column("idempotency_key", sa.String(200), nullable=True))
    op.add_column("flash_attempts",
                  sa.Column("idempotency_fingerprint", sa.String(64), nullable=True))
    op.create_index("uq_flash_attempts_idempotency", "flash_attempts",
                    ["user_id", "idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_flash_attempts_idempotency", "flash_attempts")
    op.drop_column("flash_attempts", "idempotency_fingerprint")
    op.drop_column("flash_attempts", "idempotency_key")
