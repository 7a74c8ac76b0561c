"""payment intents (providers, cash on delivery, top-ups), refunds, the provider sandbox

Revision ID: payment_0003
Revises: payment_0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0003"
down_revision = "payment_0002"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    with op.batch_alter_table("payables") as batch:
        batch.add_column(sa.Column("paid", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("refunded", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("payment_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_payables_paid_at", ["paid_at"])
    # Payables paid before this revision were paid in full by one payment.
    op.execute("UPDATE payables SET paid = amount WHERE status = 'paid'")

    with op.batch_alter_table("payments") as batch:
        batch.alter_column("order_id", existing_type=sa.String(40), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False,
                                   server_default="order"))
        batch.add_column(sa.Column("credit", sa.Integer, nullable=True))
        batch.add_column(sa.Column("package_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("trade_no", sa.String(64), nullable=True))
        batch.add_column(sa.Column("failure_reason", sa.String(500), nullable=True))
        batch.add_column(sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_payments_succeeded_at", ["succeeded_at"])
    op.execute("UPDATE payments SET succeeded_at = created_at WHERE status = 'succeeded'")

    op.create_table(
        "order_signals",
        sa.Column("order_id", sa.String(40), primary_key=True),
        sa.Column("stock_reserved", sa.Boolean, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("payment_id", sa.String(40), nullable=False, index=True),
        sa.Column("order_id", sa.String(40), nullable=False, index=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("destination", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("trigger", sa.String(80), nullable=False),
        sa.Column("return_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("provider_refund_no", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.UniqueConstraint("order_id", "trigger", name="uq_refunds_order_trigger"),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount_positive"),
    )
    op.create_table(
        "sandbox_keys",
        sa.Column("provider", sa.String(20), primary_key=True),
        sa.Column("private_key", sa.Text, nullable=True),
        sa.Column("public_key", sa.Text, nullable=True),
        sa.Column("secret", sa.String(200), nullable=True),
        sa.Column("serial", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sandbox_notifications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=False, index=True),
        sa.Column("trade_no", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("headers", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("acknowledged", sa.Boolean, nullable=False, index=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sandbox_notifications")
    op.drop_table("sandbox_keys")
    op.drop_table("refunds")
    op.drop_table("order_signals")
    with op.batch_alter_table("payments") as batch:
        batch.drop_index("ix_payments_succeeded_at")
        for column in ("succeeded_at", "failure_reason", "trade_no", "package_id", "credit",
                       "kind"):
            batch.drop_column(column)
    with op.batch_alter_table("payables") as batch:
        batch.drop_index("ix_payables_paid_at")
        for column in ("paid_at", "payment_id", "refunded", "paid"):
            batch.drop_column(column)
