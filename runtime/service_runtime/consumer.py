"""The consumer loop: poll, apply once, commit after the database, dead-letter what fails.

Each polled batch goes to :meth:`RecordApplier.handle_batch`
(:mod:`service_runtime.applier`): validated against its contract, recorded in the inbox
and applied in partition order, records that arrive together in one transaction, a
failing record retried alone and dead-lettered after its last attempt, one that is not
a valid event dead-lettered at once.

Offsets are committed explicitly, only for records whose transaction committed (or
that were dead-lettered), after their batch, at most a quarter of a second later (so
that records handled one by one share a commit request) and whenever the loop stops.
A crash between a database commit and the offset commit redelivers records the inbox
then skips.

Waiting: fetches wait at most ``KAFKA_FETCH_MAX_WAIT_MS`` at the broker (the embedded
broker holds a fetch for about half of that even when records arrive meanwhile, so
this bounds a hop's delay). When the broker runs on this machine, so do the relays
that publish to it: there a consumer with nothing to do does not fetch at all but
sleeps on a wake socket (:mod:`service_runtime.wake`) that those relays wake when they
have published to its topics, and fetches anyway in case a wake went missing: half a
second after it last had work, then less often the longer nothing comes unannounced
(every fallback fetch that finds nothing doubles the wait, up to four seconds; one that
finds records, a wake or a batch starts again from half a second). So an idle worker
costs next to nothing, and records are fetched when they are there rather than whenever
a fetch timeout comes round.

What handlers see (``Event``, ``Handlers``, ``decode``) lives in
:mod:`service_runtime.handlers`, which an API process can import without kafka-python.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from enum import StrEnum

from kafka.structs import OffsetAndMetadata, TopicPartition

from event_contracts.topics import PARTITIONS, dead_letter_topic
from service_runtime.applier import Record, RecordApplier
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.db import Database
from service_runtime.dead_letters import DeadLetterPublisher

# What handlers see, importable from here as before.
from service_runtime.handlers import Event, Handlers, InvalidMessage, decode
from service_runtime.jobs import backoff
from service_runtime.kafka import broker_on_this_machine, ensure_topics, make_consumer
from service_runtime.metrics import CONSUMER_LAG, CONSUMER_POLLS
from service_runtime.wake import Waiter, topic_channel

__all__ = ["Event", "EventConsumer", "Handlers", "InvalidMessage", "decode"]

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500  # how long one poll waits for records (and a stop waits for a poll)
# With a wake socket, fetch anyway after this long (a wake may be lost, or records may
# come from a producer that wakes nobody), growing to the maximum while such fetches
# find nothing: at 0.5 s always, idle fallback fetches were most of an idle stack's CPU.
IDLE_FETCH_FIRST_S = 0.5
IDLE_FETCH_MAX_S = 4.0
# Woken: fetch for this many fetch waits before sleeping again (the answer of a fetch sent
# before the records were appended, and one after). Not longer: a wake whose records an
# earlier fetch already brought finds nothing, and every empty fetch costs the embedded
# broker 1.5-3 ms of CPU; with 100 ms more, such fetches were a sixth of the broker's
# CPU per order.
WOKEN_POLL_FETCHES = 3
LAG_REPORT_EVERY_S = 1.0
OFFSETS_COMMIT_EVERY_S = 0.25
SETTLING_S = 5.0  # after an assignment changed, poll plainly (positions are being found)


class PollReason(StrEnum):
    """Why a consumer polled the broker (label of ``consumer_polls_total``)."""

    PLAIN = "plain"  # no wake socket, or the assignment is settling: a full poll
    AFTER_BATCH = "after_batch"  # the last answer said more records are there
    WOKEN = "woken"  # a relay said it published to a consumed topic
    FALLBACK = "fallback"  # no wake came for a while: records here mean one went missing


class EventConsumer(RecordApplier):
    def __init__(
        self,
        service: str,
        group: str,
        db: Database,
        handlers: Handlers,
        kafka: KafkaSettings,
        delivery: DeliverySettings,
        dead_letters: DeadLetterPublisher | None = None,
    ) -> None:
        super().__init__(service, group, db, handlers, kafka, delivery, dead_letters)
        self._lag_reported: set[TopicPartition] = set()
        # Per partition: the (high watermark, position) last reported, and the position
        # after the last record handled. An idle consumer asks the broker nothing: asking
        # every partition's position each second was most of an idle worker's CPU.
        self._lag_last: dict[TopicPartition, tuple[int, int]] = {}
        self._handled_up_to: dict[TopicPartition, int] = {}
        self._lag_reported_at = 0.0
        self._assignment: set[TopicPartition] = set()
        self._assigned_at = 0.0
        self._idle_fetch_s = IDLE_FETCH_FIRST_S
        self._polls = {(reason, found): CONSUMER_POLLS.labels(
            service, group, reason.value, "records" if found else "empty")
            for reason in PollReason for found in (False, True)}

    def handled_positions(self) -> dict[TopicPartition, int]:
        """Per assigned partition, the offset after the last record this consumer handled:
        what a test waits on to know every record it produced has been dealt with."""
        return dict(self._handled_up_to)

    # -- the loop -------------------------------------------------------------------

    def ensure_topics(self, stop: threading.Event) -> None:
        """Create the consumed and dead-letter topics, waiting for the broker if it is away."""
        wanted = [*self.handlers.event_types, dead_letter_topic(self.group)]
        failures = 0
        while not stop.is_set():
            try:
                ensure_topics(self.kafka, wanted, PARTITIONS, timeout_s=10)
                return
            except Exception as exc:
                failures += 1
                log.warning("broker unavailable; waiting to create topics",
                            extra={"error": repr(exc)})
                stop.wait(backoff(failures, 1.0, 10.0))

    def run(self, stop: threading.Event) -> None:
        self.ensure_topics(stop)
        if stop.is_set():
            return
        topics = [self.kafka.topic(t) for t in self.handlers.event_types]
        consumer = make_consumer(self.kafka, self.group)
        consumer.subscribe(topics)
        waiter = None
        if broker_on_this_machine(self.kafka):
            brokers = self.kafka.bootstrap_servers
            waiter = Waiter(*(topic_channel(topic, brokers) for topic in topics))
        log.info("consumer started", extra={"group": self.group, "topics": topics})
        batch: dict = {}
        more = False  # the broker's last answer said records are there beyond the batch
        # Offsets of records whose transactions committed, sent to the broker at most
        # OFFSETS_COMMIT_EVERY_S later (and at any stop): one request for many records.
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        offsets_since = 0.0
        try:
            while not stop.is_set():
                batch = self._poll(consumer, waiter, more=more)
                if batch and not offsets:
                    offsets_since = time.monotonic()
                # The whole polled batch is finished even when stop is set meanwhile:
                # SIGTERM means "finish what you hold, commit, exit".
                if batch:
                    self.handle_batch([r for records in batch.values() for r in records],
                                      functools.partial(self._handled, offsets=offsets))
                more = bool(batch) and self._records_left(consumer, batch)
                if offsets and time.monotonic() - offsets_since >= OFFSETS_COMMIT_EVERY_S:
                    self._commit(consumer, dict(offsets))
                    offsets.clear()
                if time.monotonic() - self._lag_reported_at > LAG_REPORT_EVERY_S:
                    self._report_lag(consumer)
                    self._lag_reported_at = time.monotonic()
        finally:
            if offsets:
                self._commit(consumer, offsets)
            if waiter is not None:
                waiter.close()
            consumer.close(autocommit=False)
            self.dead_letters.close()
            log.info("consumer stopped", extra={"group": self.group})

    def _handled(self, record: Record, offsets: dict) -> None:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        self._handled_up_to[tp] = record.offset + 1

    def _records_left(self, consumer, batch: dict) -> bool:  # type: ignore[no-untyped-def]
        """Whether records beyond this batch are known to be there: the poll stopped at its
        limit, or a fetch answer's high watermark is past what was handled. Known from the
        answers alone: no request. Records appended later are announced by wakes that
        come after this check, so nothing else needs an empty fetch to find it."""
        if sum(len(records) for records in batch.values()) >= self.kafka.max_poll_records:
            return True
        for tp in batch:
            try:
                highwater = consumer.highwater(tp)
            except Exception:  # no longer assigned: a rebalance began, poll plainly
                return True
            if highwater is not None and highwater > self._handled_up_to.get(tp, highwater):
                return True
        return False

    def _poll(self, consumer, waiter: Waiter | None, more: bool) -> dict:  # type: ignore[no-untyped-def]
        """The next records (counted by why the poll was made, see :class:`PollReason`)."""
        reason, records = self._poll_for_reason(consumer, waiter, more)
        self._polls[reason, bool(records)].inc()
        return records

    def _poll_for_reason(self, consumer, waiter: Waiter | None,  # type: ignore[no-untyped-def]
                         more: bool) -> tuple[PollReason, dict]:
        """With a waiter: at once when the last answer said more records are there, else
        sleep until a relay wakes us (or the fallback) and fetch until records come.

        Every wake is sent after the broker appended the records it announces, and the
        waiter is drained before the fetches that follow, so no record waits for the
        fallback unless its wake went missing.
        """
        assignment = consumer.assignment()
        if assignment != self._assignment:
            self._assignment, self._assigned_at = assignment, time.monotonic()
        if (waiter is None or not assignment
                or time.monotonic() - self._assigned_at < SETTLING_S):
            # Joining the group and finding the partitions' positions take full polls.
            self._idle_fetch_s = IDLE_FETCH_FIRST_S
            return PollReason.PLAIN, consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
        fetch_ms = self.kafka.fetch_max_wait_ms
        if more:
            # Records are there already (a fetch answer was cut short): no waiting.
            self._idle_fetch_s = IDLE_FETCH_FIRST_S
            return PollReason.AFTER_BATCH, consumer.poll(timeout_ms=fetch_ms)
        if waiter.wait(self._idle_fetch_s):
            # A fetch sent before the records were appended comes back empty: allow more.
            self._idle_fetch_s = IDLE_FETCH_FIRST_S
            return PollReason.WOKEN, consumer.poll(timeout_ms=WOKEN_POLL_FETCHES * fetch_ms)
        records = consumer.poll(timeout_ms=fetch_ms + 10)  # the fallback: one fetch
        # Records no wake announced: more may follow soon (another system's feed).
        self._idle_fetch_s = (IDLE_FETCH_FIRST_S if records
                              else min(IDLE_FETCH_MAX_S, 2 * self._idle_fetch_s))
        return PollReason.FALLBACK, records

    @property
    def idle_fetch_s(self) -> float:
        """How long the consumer sleeps for a wake before it fetches anyway."""
        return self._idle_fetch_s

    def _commit(self, consumer, offsets) -> None:  # type: ignore[no-untyped-def]
        try:
            consumer.commit(offsets)
        except Exception:
            # A rebalance took the partitions away; their new owner gets the records
            # again and the inbox skips what was applied here.
            log.warning("offset commit failed; records will be redelivered", exc_info=True)

    def _report_lag(self, consumer) -> None:  # type: ignore[no-untyped-def]
        assigned = consumer.assignment()
        for tp in self._lag_reported - assigned:
            # A partition that moved to another consumer is that consumer's to report.
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.service, self.kafka.logical(tp.topic),
                                    str(tp.partition), self.group)
            self._lag_last.pop(tp, None)
            self._handled_up_to.pop(tp, None)
        self._lag_reported = set(assigned)
        for tp in assigned:
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            handled = self._handled_up_to.get(tp)
            last = self._lag_last.get(tp)
            if last is not None and last[0] == highwater and handled in (None, last[1]):
                continue  # nothing appended, nothing handled: the gauge is still true
            if handled is not None:
                position = handled
            else:
                try:
                    position = consumer.position(tp, timeout_ms=100)
                except Exception:
                    continue
                if position is None:
                    continue
            self._lag_last[tp] = (highwater, position)
            CONSUMER_LAG.labels(
                self.service, self.kafka.logical(tp.topic), str(tp.partition), self.group
            ).set(max(0, highwater - position))
