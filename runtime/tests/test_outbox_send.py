"""``Outbox.send``: messages that are not events (a feed of a documented shape of its
own) go through the outbox to a topic the caller names, as they are, keyed and in order."""

from __future__ import annotations

import json

import tally_service
from sqlalchemy import select

from service_runtime.config import DeliverySettings
from service_runtime.outbox import OutboxRelay
from service_runtime.tables import outbox_messages
from service_runtime.testing.kafka_tools import read_topic


def test_sent_messages_are_published_unwrapped_to_their_topic_keyed_and_in_order(tally):
    topic = "integration.tally"
    messages = [(f"k{n % 2}", {"entity_id": f"k{n % 2}", "sequence": n}) for n in range(4)]
    with tally.db.transaction() as session:
        ids = tally_service.outbox.send(session, topic, messages, content_type="test.v1")
        tally_service.outbox.emit(session, tally_service.EVENT, key="s0",
                                  data={"stream": "s0", "seq": 1})
    assert len(set(ids)) == 4
    relay = OutboxRelay("tally", tally.db, tally.kafka, DeliverySettings())
    try:
        while relay.publish_pending():
            pass
        relay.mark_published()
    finally:
        relay.close()
    records = read_topic(tally.kafka, topic)
    assert sorted(((r.key.decode(), json.loads(r.value)["sequence"]) for r in records),
                  key=lambda pair: pair[1]) == [(key, data["sequence"]) for key, data in messages]
    for key in ("k0", "k1"):  # one key's messages on one partition, in order
        mine = [r for r in records if r.key.decode() == key]
        assert len({r.partition for r in mine}) == 1
        assert [json.loads(r.value) for r in mine] == [d for k, d in messages if k == key]
    assert dict(records[0].headers)["content_type"] == b"test.v1"
    # The event beside them still travels in its envelope on its own topic.
    events = read_topic(tally.kafka, tally_service.EVENT)
    assert [json.loads(r.value)["data"] for r in events] == [{"stream": "s0", "seq": 1}]
    with tally.db.read() as session:
        assert session.scalar(select(outbox_messages.c.id)
                              .where(outbox_messages.c.published_at.is_(None))) is None


def test_sending_nothing_writes_nothing(tally):
    with tally.db.transaction() as session:
        assert tally_service.outbox.send(session, "integration.tally", [],
                                         content_type="test.v1") == []
    with tally.db.read() as session:
        assert session.execute(select(outbox_messages)).all() == []
