"""The worker loop of an :class:`~service_runtime.inbound.Inbound`: the event consumer's
loop and guarantees, for records that are not events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.db import Database, insert_if_absent
from service_runtime.ids import utcnow
from service_runtime.inbound import Inbound
from service_runtime.tables import processed_events

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

    def parse(self, value: bytes) -> dict[str, Any]:
        return self.inbound.parse(value)

    def message_id(self, item: dict[str, Any]) -> str:
        # Inbox keys are UUIDs: a record's identity, whatever its length, as one.
        return str(uuid.uuid5(_NAMESPACE, self.inbound.identity(item)))

    def apply_in(self, session: Session, item: dict[str, Any]) -> bool:
        if not insert_if_absent(session, processed_events,
                                consumer_group=self.group, event_id=self.message_id(item),
                                event_type=self.inbound.topic, processed_at=utcnow()):
            return False
        self.inbound.apply(session, item)
        return True
