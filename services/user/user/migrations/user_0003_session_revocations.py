"""revoked sign-ins: the deny-list of access tokens

Revision ID: user_0003
Revises: user_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "user_0003"
down_revision = "user_0002"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "session_revocations",
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False, index=True),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("revoked_at", TS, nullable=False, index=True),
        sa.Column("tokens_expire_by", TS, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("session_revocations")
