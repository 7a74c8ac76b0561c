"""Dead letters: where a consumer group parks what it cannot handle, and how it replays them.

Each consumer group has its own dead-letter topic (``<group>.dead-letters``), so a
replay re-runs only that group's handler; other groups that consumed the same event
are not disturbed. A dead letter keeps the original key, value and headers and adds
``dlq.*`` headers: the error, the original topic and position, the group and time.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tenacity

from event_contracts.topics import dead_letter_topic
from service_runtime.config import KafkaSettings
from service_runtime.ids import utcnow
from service_runtime.kafka import make_consumer, make_producer

log = logging.getLogger(__name__)

ORIGINAL_TOPIC = "dlq.original_topic"
REPLAY_RUN = "dlq.replay_run"


def record_position(record: Any) -> str:
    """Where a polled record sits, ``<topic>/<partition>/<offset>``: what a dead letter's
    ``dlq.original_position`` header and the logs name it by."""
    return f"{record.topic}/{record.partition}/{record.offset}"


class DeadLetterPublisher:
    def __init__(self, kafka: KafkaSettings, group: str) -> None:
        self.kafka = kafka
        self.group = group
        self.topic = kafka.topic(dead_letter_topic(group))
        self._producer = None

    def publish(self, *, topic: str, key: bytes | None, value: bytes, headers: list,
                position: str, error: BaseException, extra: dict[str, str] | None = None) -> None:
        """Write the dead letter and wait for the broker's ack (raise if it never comes).

        The caller commits the record's offset only after this returns, so a dead
        letter is never lost: if the broker is unreachable the worker stops without
        committing and the record is delivered again.
        """
        original = [(k, v) for k, v in headers if not k.startswith("dlq.")]
        added = {
            ORIGINAL_TOPIC: topic,
            "dlq.original_position": position,
            "dlq.group": self.group,
            "dlq.error": f"{type(error).__name__}: {error}"[:2000],
            "dlq.failed_at": utcnow().isoformat(),
            **(extra or {}),
        }
        all_headers = original + [(k, v.encode()) for k, v in added.items()]
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(10),
            wait=tenacity.wait_exponential(multiplier=0.2, max=5),
        )
        try:
            retrying(self._send, key, value, all_headers)
        except tenacity.RetryError as exc:
            raise RuntimeError(f"could not write the dead letter for {position}") from (
                exc.last_attempt.exception())
        log.error("dead-lettered", extra={"position": position, "error": added["dlq.error"]})

    def _send(self, key: bytes | None, value: bytes, headers: list) -> None:
        try:
            if self._producer is None:
                self._producer = make_producer(self.kafka)
            self._producer.send(self.topic, key=key, value=value, headers=headers).get(
                timeout=self.kafka.request_timeout_ms / 1000
            )
        except Exception:
            self.close()  # a producer in a fatal state is not reused
            raise

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            except Exception:
                log.warning("closing the dead-letter producer failed", exc_info=True)
            self._producer = None


@dataclass
class ReplayResult:
    replayed: int = 0
    failed_again: int = 0


RecordHandler = Callable[..., str]


def replay(kafka: KafkaSettings, group: str, handle_record: RecordHandler,
           idle_polls: int = 4, join_timeout_s: float = 60) -> ReplayResult:
    """Run every dead letter of ``group`` through its handler again.

    Letters that fail again are dead-lettered anew, marked with this run's id; when
    the replay meets a letter of its own run the partition is done, so one run
    never loops. Offsets of the replay group are committed, so the next run starts
    after what this one saw.
    """
    from kafka.structs import OffsetAndMetadata

    run_id = uuid.uuid4().hex
    topic = kafka.topic(dead_letter_topic(group))
    consumer = make_consumer(kafka, f"{group}.replay")
    consumer.subscribe([topic])
    result = ReplayResult()
    quiet = 0
    started = time.monotonic()
    try:
        while quiet < idle_polls:
            batch = consumer.poll(timeout_ms=1000)
            if not batch:
                if consumer.assignment():
                    quiet += 1
                elif time.monotonic() - started > join_timeout_s:
                    break  # no dead-letter topic, or the group never formed
                continue
            quiet = 0
            offsets = {}
            for tp, records in batch.items():
                for record in records:
                    headers = dict(record.headers or [])
                    if headers.get(REPLAY_RUN, b"").decode() == run_id:
                        consumer.pause(tp)
                        break
                    original_topic = kafka.topic(headers.get(ORIGINAL_TOPIC, b"").decode())
                    outcome = handle_record(
                        original_topic, record.key, record.value, list(record.headers or []),
                        record_position(record),
                        extra_dlq_headers={REPLAY_RUN: run_id},
                    )
                    if outcome == "dead-lettered":
                        result.failed_again += 1
                    else:
                        result.replayed += 1
                    offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
            if offsets:
                consumer.commit(offsets)
    finally:
        consumer.close(autocommit=False)
    return result
