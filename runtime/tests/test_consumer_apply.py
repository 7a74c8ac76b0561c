"""The consumer's per-event transaction, without a broker: inbox, context, rollback."""

from __future__ import annotations

import json

import pytest
import tally_service
from sqlalchemy import func, select

from service_runtime import context
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, Handlers, InvalidMessage, decode
from service_runtime.db import Database
from service_runtime.outbox import Outbox
from service_runtime.tables import processed_events
from service_runtime.testing.kafka_tools import envelope
from service_runtime.testing.plugin import outbox_events

outbox = Outbox("relay-test")


@pytest.fixture
def db(tally_db):
    return tally_db


def consumer_with(db, handler) -> EventConsumer:
    handlers = Handlers()
    handlers.on(tally_service.EVENT)(handler)
    return EventConsumer("svc", "svc-group", db, handlers, KafkaSettings(), DeliverySettings())


def event(seq: int = 1, **fields):
    raw = envelope(tally_service.EVENT, "s0", {"stream": "s0", "seq": seq}, **fields)
    return raw, decode(json.dumps(raw).encode())


def test_events_emitted_by_a_handler_carry_the_correlation_and_causation(db):
    def forward(session, received):
        outbox.emit(session, tally_service.EVENT, key="s1",
                    data={"stream": "s1", "seq": received.data["seq"] + 1})

    raw, received = event()
    assert consumer_with(db, forward).apply(received) is True
    [emitted] = outbox_events(db)
    assert emitted["correlation_id"] == raw["correlation_id"]
    assert emitted["causation_id"] == raw["id"]
    assert context.correlation_id.get() is None


def test_a_failing_handler_leaves_no_trace_not_even_in_the_inbox(db):
    def half_then_fail(session, received):
        outbox.emit(session, tally_service.EVENT, key="s1", data={"stream": "s1", "seq": 0})
        raise RuntimeError("fails after writing")

    _, received = event()
    with pytest.raises(RuntimeError):
        consumer_with(db, half_then_fail).apply(received)
    assert outbox_events(db) == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(processed_events)) == 0


def test_a_second_application_is_skipped(db):
    calls = []
    consumer = consumer_with(db, lambda session, received: calls.append(received.id))
    _, received = event()
    assert consumer.apply(received) is True
    assert consumer.apply(received) is False
    assert calls == [received.id]


@pytest.mark.parametrize("value", [
    b"not json",
    b"[]",
    json.dumps({"id": "x"}).encode(),
    json.dumps(envelope(tally_service.EVENT, "k", {"stream": "s0"})).encode(),
    json.dumps(envelope(tally_service.EVENT, "k", {"stream": "s0", "seq": 1}, version=9)).encode(),
])
def test_records_that_are_not_valid_events_are_invalid_messages(value):
    with pytest.raises(InvalidMessage):
        decode(value)


def test_an_unsupported_version_has_no_handler(db):
    consumer = consumer_with(db, lambda session, received: None)
    with pytest.raises(InvalidMessage):
        consumer.handlers.resolve(tally_service.EVENT, 2)
    with pytest.raises(InvalidMessage):
        consumer.handlers.resolve("SomethingElse", 1)


def test_only_one_relay_per_database_holds_the_lease(db):
    from service_runtime.outbox import RelayLease

    other_process = Database(db.url)
    first, second = RelayLease(db, "svc"), RelayLease(other_process, "svc")
    try:
        assert first.held()
        if db.engine.dialect.name == "postgresql":
            assert not second.held(), "a second relay stands by"
            first.release()
            assert second.held(), "and takes over when the first goes away"
        else:
            assert second.held(), "SQLite: one relay per service by deployment"
    finally:
        first.release()
        second.release()
        other_process.dispose()
