"""Read and write topics directly, to see what really crossed the broker."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from service_runtime.config import KafkaSettings
from service_runtime.kafka import make_producer


def read_topic(settings: KafkaSettings, logical_topic: str, timeout: float = 10) -> list:
    """Every record in a topic, from the beginning up to its high-water marks.

    High-water marks come from the fetch responses (``highwater``), which this
    broker reports correctly, unlike ``end_offsets``.
    """
    topic = settings.topic(logical_topic)
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=settings.request_timeout_ms,
    )
    try:
        deadline = time.monotonic() + timeout
        partitions = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                time.sleep(0.2)
        if not partitions:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list = []
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=300).values():
                records.extend(batch)
            done = all(
                (hw := consumer.highwater(tp)) is not None and consumer.position(tp) >= hw
                for tp in tps
            )
            if done:
                break
        return records
    finally:
        consumer.close()


def envelope(event_type: str, key: str, data: dict, version: int = 1,
             event_id: str | None = None) -> dict:
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "source": "test",
        "occurred_at": datetime.now(UTC).isoformat(),
        "key": key,
        "correlation_id": "test-" + uuid.uuid4().hex[:8],
        "causation_id": None,
        "data": data,
    }


def produce(settings: KafkaSettings, logical_topic: str, messages: list[tuple[str, bytes | dict]],
            headers: list[tuple[str, bytes]] | None = None) -> None:
    """Publish (key, value) pairs; dict values are sent as JSON."""
    producer = make_producer(settings)
    try:
        for key, value in messages:
            body = json.dumps(value).encode() if isinstance(value, dict) else value
            producer.send(settings.topic(logical_topic), key=key.encode(), value=body,
                          headers=headers or [])
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=5)
