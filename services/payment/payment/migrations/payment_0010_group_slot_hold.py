"""a group-buy order is payable once its place in its group is held; payables know its
group (PaymentConfirmed.group_id) and its campaign (no cash on delivery)

Revision ID: payment_0010
Revises: payment_0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0010"
down_revision = "payment_0009"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND


def upgrade() -> None:
    # Defaults false / NULL: payables made before are of no campaign, as they were.
    with op.batch_alter_table("payables") as batch:
        batch.add_column(sa.Column("needs_group_slot", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("group_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("campaign_kind", sa.String(20), nullable=True))
    with op.batch_alter_table("order_signals") as batch:
        batch.add_column(sa.Column("group_slot_held", sa.Boolean, nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("order_signals") as batch:
        batch.drop_column("group_slot_held")
    with op.batch_alter_table("payables") as batch:
        batch.drop_column("campaign_kind")
        batch.drop_column("group_id")
        batch.drop_column("needs_group_slot")
