"""notes become memos: every older release breaks

Revision ID: tally_0005
Revises: tally_0004
"""

from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "tally_0005"
down_revision = "tally_0004"
branch_labels = None
depends_on = None
schema_change = SchemaChange.CONTRACT


def upgrade() -> None:
    op.rename_table("notes", "memos")
