"""drop notes.body

Revision ID: tally_0004
Revises: tally_0003
"""

from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "tally_0004"
down_revision = "tally_0003"
branch_labels = None
depends_on = None
schema_change = SchemaChange.CONTRACT
# The code of tally_0003 no longer reads notes.body: it keeps running on this schema.
runs_with_code_from = "tally_0003"


def upgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("body")
