"""``Outbox.emit_many``: a batch of events in one INSERT, each its own outbox row, as
``emit`` writes it."""

from __future__ import annotations

import json

import pytest
import tally_service
from sqlalchemy import select

from event_contracts.registry import ContractViolation
from service_runtime import context
from service_runtime.db import Database
from service_runtime.outbox import relay_channel
from service_runtime.tables import outbox_messages
from service_runtime.testing.plugin import outbox_events
from service_runtime.wake import Waiter


@pytest.fixture
def db(tally_db):
    return tally_db


def rows(db: Database) -> list:
    with db.read() as session:
        return session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).all()


def test_each_event_of_a_batch_is_its_own_row_in_order_and_shaped_as_emit_writes_it(db):
    batch = [(f"s{n % 3}", {"stream": f"s{n % 3}", "seq": n}) for n in range(5)]
    with db.transaction() as session:
        single = tally_service.outbox.emit(session, tally_service.EVENT, key="s9",
                                           data={"stream": "s9", "seq": 0})
        ids = tally_service.outbox.emit_many(session, tally_service.EVENT, batch)
    assert len(set(ids)) == 5 and single not in ids
    stored = rows(db)
    assert [row.event_id for row in stored] == [single, *ids]
    assert [row.message_key for row in stored[1:]] == [key for key, _ in batch]
    assert all(row.published_at is None for row in stored)
    envelopes = outbox_events(db, tally_service.EVENT)
    assert [e["data"] for e in envelopes[1:]] == [
        {"stream": data["stream"], "seq": data["seq"]} for _, data in batch]
    # Outside a request each call starts a correlation of its own; the next test sets one.
    same = ("type", "version", "source", "causation_id")
    alone, first = envelopes[0], envelopes[1]
    assert first.keys() == alone.keys()
    assert {k: first[k] for k in same} == {k: alone[k] for k in same}
    assert [e["id"] for e in envelopes[1:]] == ids
    assert len({e["correlation_id"] for e in envelopes[1:]}) == 1
    headers = [json.loads(row.headers) for row in stored]
    assert headers[1].keys() == headers[0].keys()
    assert headers[1]["event_type"] == headers[0]["event_type"] == tally_service.EVENT


def test_a_batch_carries_the_correlation_and_causation_of_its_context(db):
    correlation = context.correlation_id.set("corr-1")
    causation = context.causation_id.set("cause-1")
    try:
        with db.transaction() as session:
            tally_service.outbox.emit_many(session, tally_service.EVENT,
                                           [("a", {"stream": "a", "seq": 1}),
                                            ("b", {"stream": "b", "seq": 2})])
    finally:
        context.correlation_id.reset(correlation)
        context.causation_id.reset(causation)
    envelopes = outbox_events(db)
    assert [(e["correlation_id"], e["causation_id"]) for e in envelopes] == \
        [("corr-1", "cause-1")] * 2
    assert [json.loads(row.headers)["correlation_id"] for row in rows(db)] == ["corr-1"] * 2


def test_one_event_that_breaks_the_contract_writes_none_of_the_batch(db):
    batch = [("a", {"stream": "a", "seq": 1}), ("b", {"stream": "b", "seq": "two"}),
             ("c", {"stream": "c", "seq": 3})]
    with pytest.raises(ContractViolation), db.transaction() as session:
        tally_service.outbox.emit_many(session, tally_service.EVENT, batch)
    with db.transaction() as session:
        tally_service.outbox.emit_many(session, tally_service.EVENT, [])
        with pytest.raises(ContractViolation):
            tally_service.outbox.emit_many(session, tally_service.EVENT,
                                           [("d", {"stream": "d", "seq": 4, "extra": 1})])
    assert rows(db) == []


def test_committing_a_batch_wakes_the_relay_and_a_rolled_back_batch_does_not(db):
    waiter = Waiter(relay_channel(db.engine))
    try:
        with pytest.raises(RuntimeError), db.transaction() as session:
            tally_service.outbox.emit_many(session, tally_service.EVENT,
                                           [("a", {"stream": "a", "seq": 1})] * 2)
            raise RuntimeError("rolled back")
        assert waiter.wait(0.1) is False
        assert rows(db) == []
        with db.transaction() as session:
            tally_service.outbox.emit_many(session, tally_service.EVENT,
                                           [("a", {"stream": "a", "seq": 1})] * 2)
        assert waiter.wait(5) is True
        assert len(rows(db)) == 2
    finally:
        waiter.close()
