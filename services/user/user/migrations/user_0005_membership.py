"""membership: members (growth, level, points), the points ledger, lots and locks, what
membership knows of each order, the levels reached

Revision ID: user_0005
Revises: user_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "user_0005"
down_revision = "user_0004"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("growth", sa.Integer, nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("points_balance", sa.Integer, nullable=False),
        sa.Column("points_locked", sa.Integer, nullable=False),
        sa.Column("points_debt", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("points_balance >= 0", name="ck_members_balance_not_negative"),
        sa.CheckConstraint("points_locked >= 0", name="ck_members_locked_not_negative"),
        sa.CheckConstraint("points_debt >= 0", name="ck_members_debt_not_negative"),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(40), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("locked_delta", sa.Integer, nullable=False),
        sa.Column("debt_delta", sa.Integer, nullable=False),
        sa.Column("growth_delta", sa.Integer, nullable=False),
        sa.Column("balance_after", sa.Integer, nullable=False),
        sa.Column("locked_after", sa.Integer, nullable=False),
        sa.Column("debt_after", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "points_lots",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(40), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("remaining", sa.Integer, nullable=False),
        sa.Column("credited_at", TS, nullable=False, index=True),
    )
    op.create_table(
        "points_locked_lots",
        sa.Column("order_id", sa.String(40), primary_key=True),
        sa.Column("lot_id", ID, primary_key=True),
        sa.Column("points", sa.Integer, nullable=False),
    )
    op.create_table(
        "member_orders",
        sa.Column("order_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False, index=True),
        sa.Column("placed", sa.Boolean, nullable=False),
        sa.Column("payable", sa.Integer, nullable=False),
        sa.Column("points_used", sa.Integer, nullable=False),
        sa.Column("points_state", sa.String(10), nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("paid", sa.Boolean, nullable=False),
        sa.Column("completed", sa.Boolean, nullable=False),
        sa.Column("refunded_total", sa.Integer, nullable=False),
        sa.Column("fully_refunded", sa.Boolean, nullable=False),
        sa.Column("points_returned", sa.Integer, nullable=False),
        sa.Column("earned", sa.Boolean, nullable=False),
        sa.Column("points_earned", sa.Integer, nullable=False),
        sa.Column("refunded_when_earned", sa.Integer, nullable=False),
        sa.Column("points_clawed_back", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "member_levels_reached",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("level", sa.String(20), primary_key=True),
        sa.Column("reached_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("member_levels_reached", "member_orders", "points_locked_lots",
                  "points_lots", "points_ledger", "members"):
        op.drop_table(table)
