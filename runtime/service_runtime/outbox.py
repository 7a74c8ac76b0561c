"""The transactional outbox: events are rows written with the state change, then relayed.

``Outbox.emit`` only inserts a row into the caller's transaction. ``OutboxRelay``
publishes unpublished rows in id order (acks=all, idempotent producer, key = the
aggregate id) and marks them published only after the broker acknowledged them. A
crash anywhere means the row is published again later: never lost, perhaps twice,
which the consumers' inbox absorbs.

The relay sleeps until a transaction that wrote outbox rows commits: on PostgreSQL the
writer sends ``NOTIFY`` inside that transaction (delivered exactly at commit, to every
relay of the database, on any machine) and the relay ``LISTEN``s; and in every case the
commit wakes the relays of the database on this machine through a wake socket
(:mod:`service_runtime.wake`), the embedded SQLite default's way between API and worker
processes. ``OUTBOX_POLL_INTERVAL_MS`` is the fallback when a wake goes missing. Having
published, the relay wakes the consumers on this machine that read those topics.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
import uuid
import weakref
import zlib
from collections.abc import Sequence
from datetime import UTC, timedelta

from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from event_contracts import REGISTRY
from service_runtime import context, tracing
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.db import Database, call_after_commit
from service_runtime.faults import crash_point
from service_runtime.ids import utcnow
from service_runtime.jobs import backoff
from service_runtime.metrics import (
    BUSINESS_EVENTS,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISH_ERRORS,
    OUTBOX_PUBLISHED,
    count_after_commit,
)
from service_runtime.tables import outbox_messages
from service_runtime.wake import Waiter, topic_channel, wake

log = logging.getLogger(__name__)


_INSERT = insert(outbox_messages)  # built once; rows are passed as parameters
# One channel per database suffices: NOTIFY never leaves the database it was sent in.
NOTIFY_CHANNEL = "shop_outbox"
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')")
MARK_AFTER_S = 0.25  # published rows are marked in one transaction at most this late
_channels: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


_NOTIFIED = "shop_outbox_notified"


@event.listens_for(Session, "after_transaction_end")
def _notify_again_after(session: Session, _transaction: object) -> None:
    # Any end, a savepoint's too: a NOTIFY rolled back with a savepoint must be sent again.
    session.info.pop(_NOTIFIED, None)


def relay_channel(engine: Engine) -> str:
    """The wake channel of the relays of ``engine``'s database."""
    channel = _channels.get(engine)
    if channel is None:
        url = engine.url
        if url.get_backend_name() == "sqlite":
            # Every process must name one file alike, whatever its working directory.
            url = url.set(database=os.path.realpath(url.database or ""))
        digest = hashlib.sha256(url.render_as_string(hide_password=True).encode())
        channel = _channels[engine] = f"outbox-{digest.hexdigest()[:24]}"
    return channel


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
        return self.emit_many(session, event_type, [(key, data)], version=version)[0]

    def emit_many(
        self,
        session: Session,
        event_type: str,
        events: Sequence[tuple[str, dict]],
        *,
        version: int | None = None,
    ) -> list[str]:
        """Add events of one type, each ``(key, data)``, to the outbox; return their ids.

        The same as ``emit`` for each in turn (each event its own row, validated against
        its contract, relayed in this order), at the cost of one INSERT for all: a bulk
        write (an import of thousands of products) spends its time on its own rows, not
        on a statement, a NOTIFY and a wake per event. Every event is validated before
        any is written, so a violation adds none of them.
        """
        if not events:
            return []
        version = version or REGISTRY.latest_version(event_type)
        for _key, data in events:
            REGISTRY.validate_outgoing(event_type, version, data)
        now = utcnow()
        occurred_at = now.isoformat()
        correlation_id = context.current_correlation_id()
        causation_id = context.causation_id.get()
        traceparent = tracing.current_traceparent()  # the request's or handler's span
        headers = json.dumps({
            "event_type": event_type,
            "event_version": str(version),
            "correlation_id": correlation_id,
            "content_type": "application/json",
        })
        ids, rows = [], []
        for key, data in events:
            event_id = str(uuid.uuid4())
            envelope = {
                "id": event_id,
                "type": event_type,
                "version": version,
                "source": self.service,
                "occurred_at": occurred_at,
                "key": key,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "data": data,
            }
            ids.append(event_id)
            rows.append({
                "event_id": event_id,
                "event_type": event_type,
                "message_key": key,
                "payload": json.dumps(envelope, ensure_ascii=False, separators=(",", ":")),
                "headers": headers,
                "created_at": now,
                "traceparent": traceparent,
            })
        _write(session, rows)
        # Counted when the rows commit: a rolled-back use case told nobody anything.
        count_after_commit(session, BUSINESS_EVENTS.labels(self.service, event_type), len(rows))
        return ids

    def send(self, session: Session, topic: str, messages: Sequence[tuple[str, dict]],
             *, content_type: str) -> list[str]:
        """Add messages that are not events, each ``(key, payload)``, for ``topic``.

        For feeds of a documented shape of their own (the analytics service's integration
        records): the payload is published as it is (no envelope, not checked against an
        event contract: the caller validates it against its own schema) to ``topic``
        (prefixed as every topic is), keyed by ``key``, in this order, relayed as events
        are. The row's ``event_type`` column holds the topic, which is what the relay
        publishes to; the ``content_type`` header names the shape. Returns the message ids.
        """
        if not messages:
            return []
        now = utcnow()
        headers = json.dumps({"content_type": content_type,
                              "correlation_id": context.current_correlation_id()})
        ids = [str(uuid.uuid4()) for _ in messages]
        traceparent = tracing.current_traceparent()
        _write(session, [{
            "event_id": message_id,
            "event_type": topic,
            "message_key": key,
            "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            "headers": headers,
            "created_at": now,
            "traceparent": traceparent,
        } for message_id, (key, payload) in zip(ids, messages, strict=True)])
        return ids


def _write(session: Session, rows: list[dict]) -> None:
    """Insert outbox rows in the caller's transaction and wake the relay when it commits."""
    session.execute(_INSERT, rows)  # one row: a plain INSERT; more: executemany
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql" and not session.info.get(_NOTIFIED):
        session.execute(_NOTIFY)  # delivered at commit, not before
        session.info[_NOTIFIED] = True
    channel = relay_channel(engine)
    call_after_commit(session, channel, lambda: wake([channel]))


def _record_headers(headers: str, traceparent: str | None) -> list[tuple[str, bytes]]:
    """A row's Kafka headers: its stored headers and, if it has one, its trace context."""
    record = [(k, v.encode()) for k, v in json.loads(headers).items()]
    if traceparent:
        record.append((tracing.TRACEPARENT, traceparent.encode()))
    return record


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
        self._waiter: Waiter | None = None
        self._unmarked: set[int] = set()
        self._unmarked_since = 0.0

    @property
    def producer(self):  # type: ignore[no-untyped-def]
        if self._producer is None:
            # Imported here: an API writes outbox rows but never publishes them, and
            # kafka-python costs each process about 7 MB.
            from service_runtime.kafka import make_producer

            self._producer = make_producer(self.kafka)
        return self._producer

    def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; return how many were published.

        No database transaction stays open while Kafka is talked to (a broker outage
        must not block the service's writers): rows are read, published and then
        marked in a second short transaction. Only one relay per database runs this
        at a time (see :class:`RelayLease`), so rows go out in id order.

        Marking waits until ``MARK_AFTER_S`` passed or a batch's worth is due, so rows
        published one by one as their commits wake the relay share one write
        transaction; meanwhile this relay remembers what it published. A crash before
        the marking publishes them again, as any crash before marking does.
        """
        with self.db.read() as session:
            rows = session.execute(
                select(
                    outbox_messages.c.id,
                    outbox_messages.c.event_type,
                    outbox_messages.c.message_key,
                    outbox_messages.c.payload,
                    outbox_messages.c.headers,
                    outbox_messages.c.traceparent,
                )
                .where(outbox_messages.c.published_at.is_(None))
                .order_by(outbox_messages.c.id)
                .limit(self.delivery.relay_batch_size + len(self._unmarked))
            ).all()
        rows = [row for row in rows if row.id not in self._unmarked]
        rows = rows[: self.delivery.relay_batch_size]
        if not rows:
            return 0
        crash_point("relay.before_publish")
        futures = [
            self.producer.send(
                self.kafka.topic(row.event_type),
                key=row.message_key.encode(),
                value=row.payload.encode(),
                headers=_record_headers(row.headers, row.traceparent),
            )
            for row in rows
        ]
        self.producer.flush(timeout=self.kafka.request_timeout_ms / 1000)
        for future in futures:
            future.get(timeout=0)  # raises if the broker did not acknowledge
        wake({topic_channel(self.kafka.topic(row.event_type), self.kafka.bootstrap_servers)
              for row in rows})
        crash_point("relay.after_publish")
        if not self._unmarked:
            self._unmarked_since = time.monotonic()
        self._unmarked.update(row.id for row in rows)
        for row in rows:
            OUTBOX_PUBLISHED.labels(self.service, row.event_type).inc()
        if self.marking_due_in() == 0:
            self.mark_published()
        return len(rows)

    def marking_due_in(self) -> float | None:
        """Seconds until published rows must be marked (None: nothing to mark)."""
        if not self._unmarked:
            return None
        if len(self._unmarked) >= self.delivery.relay_batch_size:
            return 0.0
        return max(0.0, self._unmarked_since + MARK_AFTER_S - time.monotonic())

    def mark_published(self) -> None:
        """Mark what this relay published (and the broker acknowledged) as published."""
        if not self._unmarked:
            return
        with self.db.transaction() as session:
            session.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id.in_(sorted(self._unmarked)))
                .values(published_at=utcnow())
            )
        self._unmarked.clear()

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

    def wake(self) -> None:
        """Make the relay look for rows now (and see ``stop`` if it is set)."""
        if self._waiter is not None:
            self._waiter.wake()

    def run(self, stop: threading.Event) -> None:
        fallback_s = self.delivery.relay_poll_interval_ms / 1000
        # Registered before the first read, so a commit after any read wakes the next wait.
        waiter = self._waiter = Waiter(relay_channel(self.db.engine))
        lease = RelayLease(self.db, self.service)
        listener = None
        if self.db.engine.dialect.name == "postgresql":
            listener = threading.Thread(target=self._listen, args=(stop,),
                                        name="outbox-listen", daemon=True)
            listener.start()
        failures = 0
        try:
            while not stop.is_set():
                try:
                    if not lease.held():
                        stop.wait(2)  # another relay publishes; stand by
                        continue
                    if time.monotonic() - self._last_housekeeping > 5:
                        self.housekeeping()
                        self._last_housekeeping = time.monotonic()
                    published = self.publish_pending()
                    if self.marking_due_in() == 0:
                        self.mark_published()
                    failures = 0
                except Exception:
                    failures += 1
                    delay = backoff(failures, fallback_s, 10.0)
                    OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                    log.exception("outbox relay failed; retrying", extra={"backoff_s": delay})
                    # An idempotent producer that lost its broker can stay in a fatal state
                    # (e.g. a failed InitProducerId after a broker restart): start afresh.
                    self.close()
                    stop.wait(delay)
                    continue
                if published < self.delivery.relay_batch_size:
                    due = self.marking_due_in()
                    waiter.wait(fallback_s if due is None else min(due, fallback_s))
        finally:
            if listener is not None:
                listener.join(timeout=5)
            try:
                self.mark_published()
            except Exception:
                log.warning("marking published rows failed; they will be published again",
                            exc_info=True)
            lease.release()
            self.close()
            self._waiter = None
            waiter.close()

    def _listen(self, stop: threading.Event) -> None:
        """Turn the NOTIFY of committed outbox writes into wakes, on a connection of its own."""
        failures = 0
        while not stop.is_set():
            connection = None
            try:
                connection = self.db.engine.raw_connection()
                driver = connection.driver_connection
                driver.autocommit = True
                driver.execute(f"LISTEN {NOTIFY_CHANNEL}")
                self.wake()  # rows committed while nobody listened
                failures = 0
                while not stop.is_set():
                    for _notification in driver.notifies(timeout=1.0):
                        self.wake()
            except Exception:
                failures += 1
                delay = backoff(failures, 0.5, 10.0)
                log.warning("outbox LISTEN failed; polling meanwhile",
                            extra={"backoff_s": delay}, exc_info=True)
                stop.wait(delay)
            finally:
                if connection is not None:
                    # Never hand a LISTENing autocommit connection back to the pool.
                    with contextlib.suppress(Exception):
                        connection.invalidate()
                        connection.close()

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            except Exception:
                log.warning("closing the producer failed", exc_info=True)
            self._producer = None


class RelayLease:
    """At most one publishing relay per service database.

    On PostgreSQL a session-level advisory lock, held on a connection of its own for
    as long as the relay runs (a crashed relay's lock goes with its connection). On
    SQLite, a file on one machine, the embedded default runs one relay per service.
    """

    def __init__(self, db: Database, service: str) -> None:
        self.db = db
        self.key = zlib.crc32(f"outbox-relay:{service}".encode())
        self._connection = None

    def held(self) -> bool:
        if self.db.engine.dialect.name != "postgresql":
            return True
        try:
            if self._connection is None:
                self._connection = self.db.engine.connect()
                acquired = self._connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                ).scalar()
                self._connection.commit()
                if not acquired:
                    self.release()
                    return False
            else:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
            return True
        except Exception:
            log.warning("relay lease lost", exc_info=True)
            self.release()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                # Really close the database session (not just return it to the pool):
                # that is what releases a session-level advisory lock.
                self._connection.invalidate()
                self._connection.close()
            except Exception:
                log.debug("closing the lease connection failed", exc_info=True)
            self._connection = None
