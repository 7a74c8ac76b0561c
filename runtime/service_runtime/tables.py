"""Tables every service database has: the outbox, the inbox and the schema's compatibility.

Their migrations live in this package (Alembic branch ``runtime``); each service's
migrations add its own tables beside them.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("message_key", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    # The W3C trace context of the transaction that wrote the event (null: none), sent
    # as the record's ``traceparent`` header (service_runtime.tracing).
    Column("traceparent", String(55), nullable=True),
)
Index(
    "ix_outbox_messages_unpublished",
    outbox_messages.c.id,
    postgresql_where=outbox_messages.c.published_at.is_(None),
    sqlite_where=outbox_messages.c.published_at.is_(None),
)
Index("ix_outbox_messages_published_at", outbox_messages.c.published_at)

processed_events = Table(
    "processed_events",
    metadata,
    Column("consumer_group", String(200), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

# Per Alembic branch, the oldest code revision that can run on the schema as it is now
# (written by every migration run, read by /readyz: see service_runtime.compatibility).
schema_compatibility = Table(
    "schema_compatibility",
    metadata,
    Column("branch", String(100), primary_key=True),
    Column("head", String(100), nullable=False),
    Column("oldest_compatible", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
