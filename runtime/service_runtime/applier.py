"""Applying records once: the inbox, the handler, retries, dead letters, and batches.

:class:`RecordApplier` is what :class:`~service_runtime.consumer.EventConsumer` (events)
and :class:`~service_runtime.inbound_consumer.InboundConsumer` (other systems' records)
share; they differ only in how a record is parsed and applied (:meth:`parse`,
:meth:`apply_in`).

A record is applied in a transaction that also records its id in the inbox; if the id is
there already the record was applied before and nothing happens. Records that arrive
together are applied together: the records of a polled batch, in partition order, share
ONE transaction (up to ``CONSUMER_BATCH_MAX_RECORDS`` records or ``CONSUMER_BATCH_MAX_MS``
of work), each with a fresh identity map so that every handler reads what the database
holds. What a transaction a record cost (``BEGIN``, ``COMMIT``, and on SQLite the write
lock the API queues for) is then shared by the batch: at 20 orders a second the order
worker fell seconds behind, one transaction per event.

When a record of a batch fails, the transaction is rolled back, the records before it are
applied again together (they were fine), and the failing one goes on alone: retried with
backoff and, after the last attempt, dead-lettered with its error and original headers.
A record that is not valid (:class:`InvalidMessage`) can never succeed and is
dead-lettered at once. A crash anywhere loses nothing: until the transaction commits,
neither the records' effects nor their offsets are kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import tenacity
from sqlalchemy.orm import Session

from service_runtime import context, tracing
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.db import Database, insert_if_absent
from service_runtime.dead_letters import DeadLetterPublisher, record_position
from service_runtime.faults import crash_point
from service_runtime.handlers import Event, Handlers, InvalidMessage, decode
from service_runtime.ids import utcnow
from service_runtime.metrics import (
    MESSAGES_CONSUMED,
    MESSAGES_DEAD_LETTERED,
    MESSAGES_DUPLICATE,
    MESSAGES_FAILED,
)
from service_runtime.tables import processed_events

log = logging.getLogger(__name__)

class Record(Protocol):
    """What a polled Kafka record offers (kafka-python's ``ConsumerRecord``)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Any


class _RecordFailed(Exception):
    """A record of a batch failed: the batch's transaction is rolled back."""

    def __init__(self, index: int, error: Exception) -> None:
        self.index, self.error = index, error


class _Alone:
    """A record to handle on its own, and the error of its first attempt if it had one."""

    def __init__(self, error: Exception | None) -> None:
        self.error = error


class RecordApplier:
    def __init__(self, service: str, group: str, db: Database, handlers: Handlers,
                 kafka: KafkaSettings, delivery: DeliverySettings,
                 dead_letters: DeadLetterPublisher | None = None) -> None:
        self.service = service
        self.group = group
        self.db = db
        self.handlers = handlers
        self.kafka = kafka
        self.delivery = delivery
        self.dead_letters = dead_letters or DeadLetterPublisher(kafka, group)

    # -- what a record is (overridden for records that are not events) ----------------

    def parse(self, value: bytes) -> Any:
        """The record's value as what :meth:`apply_in` takes; InvalidMessage if it is not."""
        event = decode(value)
        self.handlers.resolve(event.type, event.version)
        return event

    def message_id(self, item: Any) -> str:
        return item.id

    def apply_in(self, session: Session, item: Any) -> bool:
        """Record ``item`` in the inbox and apply it in ``session``'s transaction: False
        (and nothing done) if the inbox says it was applied before."""
        event: Event = item
        handler = self.handlers.resolve(event.type, event.version)
        # A concurrent consumer (during a rebalance) holding the same id waits here
        # until it commits, and then this one finds the id taken.
        if not insert_if_absent(session, processed_events, consumer_group=self.group,
                                event_id=event.id, event_type=event.type,
                                processed_at=utcnow()):
            return False
        with context.bound(correlation_id=event.correlation_id, causation_id=event.id):
            handler(session, event)
        return True

    def apply(self, item: Any) -> bool:
        """Apply one parsed record once, in its own transaction."""
        with self.db.transaction() as session:
            return self.apply_in(session, item)

    # -- many records ---------------------------------------------------------------

    def handle_batch(self, records: Sequence[Record], done: Callable[[Record], None]) -> None:
        """Apply ``records`` in order, as many as will go in each transaction; call
        ``done`` for each once it is applied (or skipped as a duplicate, or dead-lettered)."""
        pending = list(records)
        while pending:
            count, alone = self._apply_together(pending)
            for record in pending[:count]:
                done(record)
                crash_point("consumer.after_apply")
            pending = pending[count:]
            if pending and alone is not None:
                record = pending.pop(0)
                self.handle_record(record.topic, record.key, record.value,
                                   list(record.headers or []), record_position(record),
                                   failed_before=alone.error)
                done(record)
                crash_point("consumer.after_apply")

    def _apply_together(self, records: Sequence[Record]) -> tuple[int, _Alone | None]:
        """Apply a prefix of ``records`` in one transaction. Returns how many it applied
        and, if the record after them must be handled alone (it is not valid, or it
        failed), why."""
        items: list[tuple[Record, Any]] = []
        alone = None
        for record in records[:self.delivery.consumer_batch_max_records]:
            try:
                items.append((record, self.parse(record.value)))
            except InvalidMessage:
                alone = _Alone(None)
                break
        while items:
            try:
                outcomes = self._transaction(items)
            except _RecordFailed as failed:
                # Rolled back: the records before the failing one go again without it.
                items, alone = items[:failed.index], _Alone(failed.error)
                continue
            except Exception:
                log.warning("batch transaction failed; handling its first record alone",
                            exc_info=True)
                return 0, _Alone(None)
            for (record, _item), applied in zip(items, outcomes, strict=False):
                self._count(self.kafka.logical(record.topic), applied)
            if len(outcomes) < len(items):
                return len(outcomes), None  # the transaction was full
            return len(outcomes), alone
        return 0, alone

    def _transaction(self, items: list[tuple[Record, Any]]) -> list[bool]:
        outcomes: list[bool] = []
        deadline = time.monotonic() + self.delivery.consumer_batch_max_ms / 1000
        with self.db.transaction() as session:
            for index, (record, item) in enumerate(items):
                logical = self.kafka.logical(record.topic)
                scope = tracing.start_consumer_span(
                    list(record.headers or []), f"{logical} process",
                    self._span_attributes(logical, item))
                try:
                    applied = self.apply_in(session, item)
                    session.flush()
                except Exception as exc:
                    tracing.finish(scope, exc)
                    self._failed(logical, item, exc, attempt=1)
                    raise _RecordFailed(index, exc) from exc
                # The span covers the record's handling; the batch's commit comes after.
                tracing.finish(scope, None,
                               {"shop.outcome": "applied" if applied else "duplicate"})
                # The next record's handler reads the database, not objects this one
                # loaded (some updates bypass the identity map).
                session.expunge_all()
                outcomes.append(applied)
                crash_point("consumer.in_batch")
                if time.monotonic() >= deadline:
                    break
        return outcomes

    # -- one record, with retries ---------------------------------------------------

    def handle_record(self, topic: str, key: bytes | None, value: bytes, headers: list,
                      position: str, extra_dlq_headers: dict[str, str] | None = None,
                      failed_before: Exception | None = None) -> str:
        """Apply one record with retries; dead-letter it when it cannot be applied.
        ``failed_before``: the error of an attempt already made (in a batch).

        Returns ``applied``, ``duplicate`` or ``dead-lettered``.
        """
        logical = self.kafka.logical(topic)
        try:
            item = self.parse(value)
        except InvalidMessage as exc:
            self._dead_letter(topic, key, value, headers, position, exc, extra_dlq_headers)
            return "dead-lettered"
        # One consumer span for the record's attempts alone, a child of the span that
        # wrote it: what the handler emits carries this span on (service_runtime.tracing).
        scope = tracing.start_consumer_span(headers, f"{logical} process",
                                            self._span_attributes(logical, item))
        try:
            applied = self._retried(item, logical, failed_before)
        except Exception as exc:
            self._dead_letter(topic, key, value, headers, position, exc, extra_dlq_headers)
            outcome = "dead-lettered"
        except BaseException as exc:
            tracing.finish(scope, exc)
            raise
        else:
            outcome = "applied" if applied else "duplicate"
            self._count(logical, applied)
        tracing.finish(scope, "dead-lettered" if outcome == "dead-lettered" else None,
                       {"shop.outcome": outcome})
        return outcome

    def _retried(self, item: Any, logical: str, failed_before: Exception | None) -> bool:
        """Apply ``item`` in its own transaction, retrying with backoff; the last error
        if no attempt succeeds."""
        attempts = self.delivery.consumer_max_attempts
        if failed_before is not None:
            # A record the use case refuses (InvalidMessage) cannot succeed later.
            if isinstance(failed_before, InvalidMessage) or attempts <= 1:
                raise failed_before
            attempts -= 1
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential(multiplier=self.delivery.consumer_backoff_ms / 1000,
                                           max=self.delivery.consumer_backoff_max_ms / 1000),
            retry=tenacity.retry_if_not_exception_type(InvalidMessage),
            reraise=True,
        )
        done_before = 0 if failed_before is None else 1
        for attempt in retrying:
            with attempt:
                try:
                    return self.apply(item)
                except Exception as exc:
                    self._failed(logical, item, exc,
                                 done_before + attempt.retry_state.attempt_number)
                    raise
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _span_attributes(self, logical: str, item: Any) -> dict[str, Any]:
        return {"messaging.system": "kafka", "messaging.operation.type": "process",
                "messaging.destination.name": logical,
                "messaging.consumer.group.name": self.group,
                "messaging.message.id": self.message_id(item)}

    def _count(self, logical: str, applied: bool) -> None:
        counter = MESSAGES_CONSUMED if applied else MESSAGES_DUPLICATE
        counter.labels(self.service, logical, self.group).inc()

    def _failed(self, logical: str, item: Any, exc: Exception, attempt: int) -> None:
        MESSAGES_FAILED.labels(self.service, logical, self.group).inc()
        log.warning("handler failed", extra={"event_id": self.message_id(item),
                                             "topic": logical, "attempt": attempt,
                                             "error": repr(exc)})

    def _dead_letter(self, topic, key, value, headers, position, error, extra) -> None:  # type: ignore[no-untyped-def]
        self.dead_letters.publish(
            topic=self.kafka.logical(topic), key=key, value=value, headers=headers,
            position=position, error=error, extra=extra,
        )
        MESSAGES_DEAD_LETTERED.labels(self.service, self.kafka.logical(topic), self.group).inc()
