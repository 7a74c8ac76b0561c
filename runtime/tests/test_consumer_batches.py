"""Records polled together are applied in one transaction, and a failing or invalid one
among them changes nothing for the others (a real database and broker, no worker)."""

from __future__ import annotations

import json

import pytest
import tally_service
from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import event, func, insert, select

from service_runtime.config import DeliverySettings
from service_runtime.consumer import EventConsumer, Handlers
from service_runtime.metrics import count_after_commit
from service_runtime.tables import processed_events
from service_runtime.testing.kafka_tools import envelope, read_topic

COUNTED = Counter("batch_test_applied", "applied records", registry=CollectorRegistry())


@pytest.fixture
def db(tally_db):
    return tally_db


@pytest.fixture
def commits(db):
    seen: list[int] = []
    event.listen(db.engine, "commit", lambda connection: seen.append(1))
    return seen


tries: list[int] = []


def tally(session, received) -> None:  # type: ignore[no-untyped-def]
    """Adds a row and counts it after commit; fails for ``poison`` (after writing)."""
    tries.append(received.data["seq"])
    session.execute(insert(tally_service.applied).values(
        event_id=received.id, stream=received.data["stream"], seq=received.data["seq"],
        worker="w"))
    count_after_commit(session, COUNTED)
    if received.data["poison"]:
        raise RuntimeError("poisoned")


@pytest.fixture
def consumer(db, kafka_settings):
    tries.clear()
    handlers = Handlers()
    handlers.on(tally_service.EVENT)(tally)
    built = EventConsumer("tally", "tally-batches", db, handlers, kafka_settings,
                          DeliverySettings(consumer_max_attempts=2, consumer_backoff_ms=1))
    yield built
    built.dead_letters.close()


def record(offset: int, value: bytes, topic: str) -> ConsumerRecord:
    return ConsumerRecord(topic, 0, -1, offset, 0, 0, b"s0", value, [], None, 2, len(value), 0)


def records(kafka_settings, *values) -> list[ConsumerRecord]:
    topic = kafka_settings.topic(tally_service.EVENT)
    built = []
    for offset, value in enumerate(values):
        if isinstance(value, int):
            value = envelope(tally_service.EVENT, "s0", {"stream": "s0", "seq": value})
        if isinstance(value, dict):
            value = json.dumps(value).encode()
        built.append(record(offset, value, topic))
    return built


def poisoned(seq: int) -> dict:
    return envelope(tally_service.EVENT, "s0", {"stream": "s0", "seq": seq, "poison": True})


def seqs(db) -> list[int]:
    with db.read() as session:
        return list(session.scalars(
            select(tally_service.applied.c.seq).order_by(tally_service.applied.c.id)))


def test_records_polled_together_share_one_transaction(consumer, db, kafka_settings, commits):
    done: list[int] = []
    consumer.handle_batch(records(kafka_settings, 1, 2, 3, 4, 5),
                          lambda r: done.append(r.offset))
    assert len(commits) == 1
    assert seqs(db) == [1, 2, 3, 4, 5]
    assert done == [0, 1, 2, 3, 4]


def test_a_transaction_holds_at_most_the_batch_limit(consumer, db, kafka_settings, commits):
    consumer.delivery = DeliverySettings(consumer_batch_max_records=2)
    done: list[int] = []
    consumer.handle_batch(records(kafka_settings, 1, 2, 3, 4, 5),
                          lambda r: done.append(r.offset))
    assert len(commits) == 3
    assert seqs(db) == [1, 2, 3, 4, 5] and done == [0, 1, 2, 3, 4]


def test_a_failing_record_is_retried_alone_and_dead_lettered_the_others_applied_once(
        consumer, db, kafka_settings):
    before = COUNTED._value.get()
    poison = poisoned(3)
    done: list[int] = []
    consumer.handle_batch(records(kafka_settings, 1, 2, poison, 4, 5),
                          lambda r: done.append(r.offset))
    assert seqs(db) == [1, 2, 4, 5], "the failing record's own writes are rolled back"
    assert done == [0, 1, 2, 3, 4]
    # Tried twice in all (the batch's attempt and one alone: consumer_max_attempts=2);
    # 1 and 2 ran again after the rolled-back batch, and counted once.
    assert tries.count(3) == 2
    assert COUNTED._value.get() - before == 4
    with db.read() as session:
        inbox = session.scalar(select(func.count()).select_from(processed_events))
    assert inbox == 4
    [letter] = read_topic(kafka_settings, "tally-batches.dead-letters")
    assert json.loads(letter.value)["id"] == poison["id"]
    assert b"poisoned" in dict(letter.headers)["dlq.error"]


def test_an_invalid_record_is_dead_lettered_at_once_and_the_batch_goes_on(
        consumer, db, kafka_settings, commits):
    consumer.handle_batch(records(kafka_settings, 1, b"{not json", 2, 3), lambda r: None)
    assert len(commits) == 2, "the records on either side of it: one transaction each"
    assert seqs(db) == [1, 2, 3]
    [letter] = read_topic(kafka_settings, "tally-batches.dead-letters")
    assert letter.value == b"{not json"


def test_the_same_event_twice_in_one_batch_is_applied_once(consumer, db, kafka_settings):
    same = envelope(tally_service.EVENT, "s0", {"stream": "s0", "seq": 7})
    consumer.handle_batch(records(kafka_settings, same, 8, same), lambda r: None)
    assert seqs(db) == [7, 8]
