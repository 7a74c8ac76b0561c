"""group buys (拼团): campaigns, their groups and members, buyers' live counts, SKU list
prices

Revision ID: marketing_0002
Revises: marketing_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "marketing_0002"
down_revision = "marketing_0001"
branch_labels = None
depends_on = None
# New tables only: the release before never reads them.
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "group_buy_campaigns",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False, index=True),
        sa.Column("product_id", sa.Integer, nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("group_price", sa.Integer, nullable=False),
        sa.Column("group_size", sa.Integer, nullable=False),
        sa.Column("fill_seconds", sa.Integer, nullable=False),
        sa.Column("per_user_limit", sa.Integer, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("group_size >= 2 AND group_size <= 10", name="ck_group_buy_size"),
    )
    op.create_table(
        "group_buy_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("campaign_id", sa.String(40), nullable=False),
        sa.Column("leader_user_id", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("paid", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.CheckConstraint("members >= 0 AND members <= size", name="ck_group_buy_members"),
        sa.CheckConstraint("paid >= 0 AND paid <= members", name="ck_group_buy_paid"),
    )
    op.create_index("ix_group_buy_groups_status_expires", "group_buy_groups",
                    ["status", "expires_at"])
    op.create_index("ix_group_buy_groups_campaign_status", "group_buy_groups",
                    ["campaign_id", "status"])
    op.create_table(
        "group_buy_members",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("campaign_id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("held_at", TS, nullable=False),
        sa.Column("paid_at", TS, nullable=True),
        sa.Column("left_at", TS, nullable=True),
    )
    op.create_index("ix_group_buy_members_group", "group_buy_members", ["group_id", "status"])
    op.create_table(
        "group_buy_buyers",
        sa.Column("campaign_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("live", sa.Integer, nullable=False),
        sa.CheckConstraint("live >= 0", name="ck_group_buy_buyers_live"),
    )
    op.create_table(
        "sku_list_prices",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sku_list_prices")
    op.drop_table("group_buy_buyers")
    op.drop_index("ix_group_buy_members_group", "group_buy_members")
    op.drop_table("group_buy_members")
    op.drop_index("ix_group_buy_groups_campaign_status", "group_buy_groups")
    op.drop_index("ix_group_buy_groups_status_expires", "group_buy_groups")
    op.drop_table("group_buy_groups")
    op.drop_table("group_buy_campaigns")
