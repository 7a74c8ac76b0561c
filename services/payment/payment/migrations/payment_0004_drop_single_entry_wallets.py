"""drop the single-entry wallets: the double-entry ledger (payment_0002) holds their money

Revision ID: payment_0004
Revises: payment_0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0004"
down_revision = "payment_0003"
branch_labels = None
depends_on = None
# The code before it may still read the tables it drops.
schema_change = SchemaChange.CONTRACT


def upgrade() -> None:
    # payment_0002 opened a ledger account with the balance of every wallets row; nothing
    # has written these tables since.
    op.drop_table("wallet_ledger")
    op.drop_table("wallets")


def downgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("balance", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_wallets_balance_not_negative"),
    )
    op.create_table(
        "wallet_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("balance_after", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "reference"),
    )
