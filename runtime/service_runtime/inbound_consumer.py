"""The worker loop of an :class:`~service_runtime.inbound.Inbound`: the event consumer's
loop and guarantees, for records that are not events."""

from __future__ import annotations

import uuid
from typing import Any

import tenacity

from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.db import Database, insert_if_absent
from service_runtime.handlers import InvalidMessage
from service_runtime.ids import utcnow
from service_runtime.inbound import Inbound
from service_runtime.metrics import MESSAGES_CONSUMED, MESSAGES_DUPLICATE
from service_runtime.tables import processed_events

# Inbox keys are UUIDs: a record's identity, whatever its length, as one.
_NAMESPACE = uuid.UUID("5b0c3e52-6a43-4b8e-9d1f-2f3c7b1a9e10")


class _Topics:
    """What the event consumer's loop asks of its handlers: the topics to read."""

    def __init__(self, topic: str) -> None:
        self.event_types = [topic]


class InboundConsumer(EventConsumer):
    def __init__(self, service: str, db: Database, inbound: Inbound, kafka: KafkaSettings,
                 delivery: DeliverySettings) -> None:
        super().__init__(service, inbound.group(service), db, _Topics(inbound.topic),  # type: ignore[arg-type]
                         kafka, delivery)
        self.inbound = inbound

    def apply_record(self, record: dict[str, Any]) -> bool:
        """Apply a parsed record once: False if the inbox says it was applied before."""
        record_id = str(uuid.uuid5(_NAMESPACE, self.inbound.identity(record)))
        with self.db.transaction() as session:
            if not insert_if_absent(session, processed_events,
                                    consumer_group=self.group, event_id=record_id,
                                    event_type=self.inbound.topic, processed_at=utcnow()):
                return False
            self.inbound.apply(session, record)
        return True

    def handle_record(self, topic: str, key: bytes | None, value: bytes, headers: list,
                      position: str, extra_dlq_headers: dict[str, str] | None = None) -> str:
        logical = self.kafka.logical(topic)
        try:
            record = self.inbound.parse(value)
        except InvalidMessage as exc:
            self._dead_letter(topic, key, value, headers, position, exc, extra_dlq_headers)
            return "dead-lettered"
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.delivery.consumer_max_attempts),
            wait=tenacity.wait_exponential(multiplier=self.delivery.consumer_backoff_ms / 1000,
                                           max=self.delivery.consumer_backoff_max_ms / 1000),
            # A record the use case refuses (InvalidMessage: an unknown member) cannot
            # succeed later: straight to the dead letters.
            retry=tenacity.retry_if_not_exception_type(InvalidMessage),
            reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    applied = self.apply_record(record)
        except Exception as exc:
            self._dead_letter(topic, key, value, headers, position, exc, extra_dlq_headers)
            return "dead-lettered"
        counter = MESSAGES_CONSUMED if applied else MESSAGES_DUPLICATE
        counter.labels(self.service, logical, self.group).inc()
        return "applied" if applied else "duplicate"
