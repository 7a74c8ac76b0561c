"""risk rules: the signals they count, their subjects, the flags raised

Revision ID: analytics_0003
Revises: analytics_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "analytics_0003"
down_revision = "analytics_0002"
branch_labels = None
depends_on = None
# New tables: code of the release before keeps working (see service_runtime.compatibility).
schema_change = SchemaChange.EXPAND

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "risk_signals",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.String(64), nullable=True),
        sa.UniqueConstraint("rule", "subject", "event_id", name="uq_risk_signals_event"),
    )
    op.create_index("ix_risk_signals_subject_at", "risk_signals", ["rule", "subject", "at"])
    op.create_index("ix_risk_signals_rule_at", "risk_signals", ["rule", "at"])
    op.create_table(
        "risk_subjects",
        sa.Column("rule", sa.String(40), primary_key=True),
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("flagged_through", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "risk_flags",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolution", sa.String(500), nullable=True),
        sa.UniqueConstraint("rule", "subject", "window_end", name="uq_risk_flags_window"),
    )
    op.create_index("ix_risk_flags_rule_id", "risk_flags", ["rule", "id"])
    op.create_index("ix_risk_flags_user_id", "risk_flags", ["user_id", "id"])


def downgrade() -> None:
    for table in ("risk_flags", "risk_subjects", "risk_signals"):
        op.drop_table(table)
