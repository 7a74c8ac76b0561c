"""the middle-platform feed: entities, records, partner webhooks and their deliveries

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0002"
down_revision = "analytics_0001"
branch_labels = None
depends_on = None
# New tables: code of the release before keeps working (see service_runtime.compatibility).
schema_change = SchemaChange.EXPAND

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "integration_entities",
        sa.Column("entity_type", sa.String(20), primary_key=True),
        sa.Column("entity_id", sa.String(64), primary_key=True),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "integration_records",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("entity_type", "entity_id", "sequence",
                            name="uq_integration_records_entity_sequence"),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("entity_types", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("endpoint_id", sa.BigInteger, nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("lease_until", TIME, nullable=True),
        sa.Column("parked_at", TIME, nullable=True),
        sa.Column("delivered_at", TIME, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_webhook_deliveries_entity", "webhook_deliveries",
                    ["endpoint_id", "entity_type", "entity_id", "sequence"])
    op.create_index("ix_webhook_deliveries_pending", "webhook_deliveries",
                    ["delivered_at", "next_attempt_at"])


def downgrade() -> None:
    for table in ("webhook_deliveries", "webhook_endpoints", "integration_records",
                  "integration_entities"):
        op.drop_table(table)
