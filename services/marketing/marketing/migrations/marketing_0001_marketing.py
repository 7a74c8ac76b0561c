"""coupon templates, user coupons, promotions, the product and member copies, order records

Revision ID: marketing_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "marketing_0001"
down_revision = None
branch_labels = ("marketing",)
depends_on = None
# New tables: code of the release before keeps working (see service_runtime.compatibility).
schema_change = SchemaChange.EXPAND

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "coupon_templates",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_off", sa.Integer, nullable=True),
        sa.Column("percent_off", sa.Integer, nullable=True),
        sa.Column("max_discount", sa.Integer, nullable=True),
        sa.Column("min_spend", sa.Integer, nullable=False),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("valid_from", TS, nullable=True),
        sa.Column("valid_until", TS, nullable=True),
        sa.Column("valid_days", sa.Integer, nullable=True),
        sa.Column("total_quantity", sa.Integer, nullable=False),
        sa.Column("issued", sa.Integer, nullable=False),
        sa.Column("per_user_limit", sa.Integer, nullable=False),
        sa.Column("member_levels", sa.JSON, nullable=True),
        sa.Column("claimable", sa.Boolean, nullable=False),
        sa.Column("redeem_code", sa.String(40), nullable=True, unique=True),
        sa.Column("auto_issue", sa.String(30), nullable=False, index=True),
        sa.Column("exclusion_group", sa.String(40), nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("stacks_with_promotions", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("issued >= 0 AND issued <= total_quantity",
                           name="ck_coupon_templates_issued"),
    )
    op.create_table(
        "user_coupons",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("template_id", sa.String(40), nullable=False, index=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("nth", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("valid_from", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True, index=True),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("locked_at", TS, nullable=True),
        sa.Column("used_at", TS, nullable=True),
        sa.UniqueConstraint("template_id", "user_id", "nth", name="uq_user_coupons_nth"),
    )
    op.create_index("ix_user_coupons_user_status", "user_coupons", ["user_id", "status"])
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("tiers", sa.JSON, nullable=True),
        sa.Column("percent", sa.Integer, nullable=True),
        sa.Column("member_percents", sa.JSON, nullable=True),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("exclusion_group", sa.String(40), nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("brand", sa.String(100), nullable=False),
        sa.Column("category_path", sa.JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("growth", sa.Integer, nullable=False),
        sa.Column("points_balance", sa.Integer, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
    )
    op.create_table(
        "order_records",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("total", sa.Integer, nullable=True),
        sa.Column("user_coupon_id", sa.String(40), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("placed_at", TS, nullable=True),
        sa.Column("paid_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "order_discounts",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("source_id", sa.String(40), primary_key=True, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("order_discounts", "order_records", "members", "products", "promotions",
                  "user_coupons", "coupon_templates"):
        op.drop_table(table)
