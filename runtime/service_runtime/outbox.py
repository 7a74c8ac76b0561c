"""The transactional outbox: events are rows written with the state change, then relayed.

``Outbox.emit`` only inserts a row into the caller's transaction. ``OutboxRelay``
publishes unpublished rows in id order (acks=all, idempotent producer, key = the
aggregate id) and marks them published only after the broker acknowledged them. A
crash anywhere means the row is published again later: never lost, perhaps twice,
which the consumers' inbox absorbs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from event_contracts import REGISTRY
from service_runtime import context
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.db import Database
from service_runtime.faults import crash_point
from service_runtime.kafka import make_producer
from service_runtime.metrics import (
    BUSINESS_EVENTS,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISH_ERRORS,
    OUTBOX_PUBLISHED,
)
from service_runtime.tables import outbox_messages

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Outbox:
    """Writes a service's outgoing events into the current transaction."""

    def __init__(self, service: str) -> None:
        self.service = service

    def emit(
        self,
        session: Session,
        event_type: str,
        key: str,
        data: dict,
        *,
        version: int | None = None,
    ) -> str:
        """Validate ``data`` against its contract and add it to the outbox; return the event id."""
        version = version or REGISTRY.latest_version(event_type)
        REGISTRY.validate_outgoing(event_type, version, data)
        event_id = str(uuid.uuid4())
        now = utcnow()
        envelope = {
            "id": event_id,
            "type": event_type,
            "version": version,
            "source": self.service,
            "occurred_at": now.isoformat(),
            "key": key,
            "correlation_id": context.current_correlation_id(),
            "causation_id": context.causation_id.get(),
            "data": data,
        }
        headers = {
            "event_type": event_type,
            "event_version": str(version),
            "correlation_id": envelope["correlation_id"],
            "content_type": "application/json",
        }
        session.execute(
            insert(outbox_messages).values(
                event_id=event_id,
                event_type=event_type,
                message_key=key,
                payload=json.dumps(envelope, ensure_ascii=False, separators=(",", ":")),
                headers=json.dumps(headers),
                created_at=now,
            )
        )
        BUSINESS_EVENTS.labels(self.service, event_type).inc()
        return event_id


class OutboxRelay:
    """Publishes outbox rows to Kafka, in order, until stopped."""

    def __init__(
        self,
        service: str,
        db: Database,
        kafka: KafkaSettings,
        delivery: DeliverySettings,
    ) -> None:
        self.service = service
        self.db = db
        self.kafka = kafka
        self.delivery = delivery
        self._producer = None
        self._last_housekeeping = 0.0

    @property
    def producer(self):  # type: ignore[no-untyped-def]
        if self._producer is None:
            self._producer = make_producer(self.kafka)
        return self._producer

    def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; return how many were published.

        The rows are locked (``FOR UPDATE`` on PostgreSQL) while they are published,
        so a second relay waits instead of publishing the same rows out of order.
        """
        with self.db.transaction() as session:
            rows = session.execute(
                select(
                    outbox_messages.c.id,
                    outbox_messages.c.event_type,
                    outbox_messages.c.message_key,
                    outbox_messages.c.payload,
                    outbox_messages.c.headers,
                )
                .where(outbox_messages.c.published_at.is_(None))
                .order_by(outbox_messages.c.id)
                .limit(self.delivery.relay_batch_size)
                .with_for_update()
            ).all()
            if not rows:
                return 0
            crash_point("relay.before_publish")
            futures = [
                self.producer.send(
                    self.kafka.topic(row.event_type),
                    key=row.message_key.encode(),
                    value=row.payload.encode(),
                    headers=[(k, v.encode()) for k, v in json.loads(row.headers).items()],
                )
                for row in rows
            ]
            self.producer.flush(timeout=self.kafka.request_timeout_ms / 1000)
            for future in futures:
                future.get(timeout=0)  # raises if the broker did not acknowledge
            crash_point("relay.after_publish")
            session.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id.in_([row.id for row in rows]))
                .values(published_at=utcnow())
            )
        for row in rows:
            OUTBOX_PUBLISHED.labels(self.service, row.event_type).inc()
        return len(rows)

    def housekeeping(self) -> None:
        """Refresh the backlog gauges and drop rows published long ago."""
        with self.db.transaction() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(outbox_messages.c.created_at)).where(
                    outbox_messages.c.published_at.is_(None)
                )
            ).one()
            cutoff = utcnow() - timedelta(hours=self.delivery.outbox_retention_hours)
            session.execute(
                delete(outbox_messages).where(outbox_messages.c.published_at < cutoff)
            )
        OUTBOX_BACKLOG.labels(self.service).set(count)
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:  # SQLite returns naive datetimes
                oldest = oldest.replace(tzinfo=UTC)
            age = max(0.0, (utcnow() - oldest).total_seconds())
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)

    def run(self, stop: threading.Event) -> None:
        idle = self.delivery.relay_poll_interval_ms / 1000
        backoff = idle
        while not stop.is_set():
            try:
                if time.monotonic() - self._last_housekeeping > 5:
                    self.housekeeping()
                    self._last_housekeeping = time.monotonic()
                published = self.publish_pending()
                backoff = idle
                if published == 0:
                    stop.wait(idle)
            except Exception:
                OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                log.exception("outbox relay failed; retrying", extra={"backoff_s": backoff})
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self.close()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
