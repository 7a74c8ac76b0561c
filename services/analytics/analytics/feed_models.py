"""Tables of the middle-platform feed (``analytics.integration_feed``) and its partner
webhooks (``analytics.webhooks``), beside the service's own in ``analytics.models``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from analytics.models import BIG_ID, Base
from service_runtime.types import UTCDateTime


class IntegrationEntity(Base):
    """An entity the feed follows: its last sequence and its state as last published.

    The row is the lock that makes sequences gap-free: a record is numbered by an UPDATE
    of this row in the consumer's transaction, so two transactions on one entity queue."""

    __tablename__ = "integration_entities"

    entity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntegrationRecord(Base):
    """One published record (also what the webhooks deliver and an admin reads)."""

    __tablename__ = "integration_records"
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_id", "sequence",
                         name="uq_integration_records_entity_sequence"),
        # The big-data export reads one entity type's records after a watermark.
        Index("ix_integration_records_type_id", "entity_type", "id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookEndpoint(Base):
    """A partner's endpoint: what it receives and the secret its deliveries are signed with."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    # The HMAC key: kept as it is (signing needs it), never shown after creation.
    secret: Mapped[str] = mapped_column(String(200))
    entity_types: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One record to POST to one endpoint; the retry state of a ``RowJob`` row.

    Parked (``parked_at``) after the last attempt: a dead letter an admin lists and
    replays."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_entity", "endpoint_id", "entity_type", "entity_id",
              "sequence"),
        Index("ix_webhook_deliveries_pending", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[int] = mapped_column(BigInteger)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
