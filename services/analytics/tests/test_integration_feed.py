"""The middle-platform feed: business events become numbered per-entity records (1, 2, 3
... gap-free), through the outbox on the integration topics, in the documented schema;
a consumer keeping the last sequence per entity ends in the producer's state whatever
order and however often the records arrive."""

from __future__ import annotations

import json
import random
import threading

import jsonschema
import pytest
from sqlalchemy import select

from analytics.feed_models import IntegrationEntity, IntegrationRecord
from event_contracts.integration import CONTENT_TYPE, RECORD_JSON_SCHEMAS, TOPIC_OF, EntityType
from service_runtime.config import DeliverySettings
from service_runtime.outbox import OutboxRelay
from service_runtime.tables import outbox_messages
from service_runtime.testing.kafka_tools import read_topic

T = "2026-11-22T{}:00+00:00".format
FEED = [
    ("UserRegistered", {"user_id": "u1", "nickname": "Li", "registered_at": T("06:00")}),
    ("MembershipChanged", {"user_id": "u1", "level": "silver", "growth": 1200,
                           "points_balance": 50, "changed_at": T("09:00")}),
    # Older than the one above: changes nothing the feed shows, so no record.
    ("MembershipChanged", {"user_id": "u1", "level": "regular", "growth": 10,
                           "points_balance": 0, "changed_at": T("07:00")}),
    ("ProductUpdated", {"product_id": 1, "updated_at": T("08:00")}),
    ("ProductUpdated", {"product_id": 1, "updated_at": T("08:30"), "skus": [
        {"sku": "KETTLE-MI-1.7L-WHITE", "price": {"amount": 9900, "currency": "CNY"},
         "attributes": {}, "available": 119}]}),
    ("OrderPlaced", {"order_id": "o1", "user_id": "u1"}),
    ("PaymentFailed", {"payment_id": "p0", "order_id": "o1", "user_id": "u1"}),
    ("PaymentConfirmed", {"payment_id": "p1", "order_id": "o1", "user_id": "u1"}),
    # A second charge: the order was paid already (no order record); a payment record.
    ("PaymentConfirmed", {"payment_id": "p2", "order_id": "o1", "user_id": "u1"}),
    ("RefundIssued", {"refund_id": "r1", "order_id": "o1", "user_id": "u1"}),
    ("OrderCompleted", {"order_id": "o1", "user_id": "u1"}),
    ("OrderPlaced", {"order_id": "o2", "user_id": "u1"}),
    ("CashOnDeliveryChosen", {"payment_id": "p3", "order_id": "o2", "user_id": "u1"}),
    ("OrderCancelled", {"order_id": "o2", "user_id": "u1"}),
]


@pytest.fixture
def feed(example_event):  # type: ignore[no-untyped-def]
    return [example_event(event_type, **data) for event_type, data in FEED]


def records(db) -> list[dict]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return list(session.scalars(select(IntegrationRecord.record)
                                    .order_by(IntegrationRecord.id)))


def entity_states(db) -> dict[tuple[str, str], tuple[int, dict]]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return {(row.entity_type, row.entity_id): (row.sequence, row.state)
                for row in session.scalars(select(IntegrationEntity))}


def apply_feed(received: list[dict]) -> dict[tuple[str, str], tuple[int, dict]]:
    """The documented consumer rule: keep the highest sequence applied per entity and
    ignore any record at or below it."""
    kept: dict[tuple[str, str], tuple[int, dict]] = {}
    for record in received:
        key = (record["entity_type"], record["entity_id"])
        if key in kept and record["sequence"] <= kept[key][0]:
            continue
        kept[key] = (record["sequence"], record["data"])
    return kept


def test_each_change_is_one_record_numbered_per_entity_without_gaps(consumer, db, feed):
    for event in feed:
        assert consumer.apply(event) is True
    made = records(db)
    by_entity: dict[tuple[str, str], list[dict]] = {}
    for record in made:
        by_entity.setdefault((record["entity_type"], record["entity_id"]), []).append(record)
    for entity, mine in by_entity.items():
        assert [r["sequence"] for r in mine] == list(range(1, len(mine) + 1)), entity
    changes = {entity: [r["change"] for r in mine] for entity, mine in by_entity.items()}
    assert changes[("order", "o1")] == ["order_placed", "order_paid", "order_refunded",
                                        "order_completed"]
    assert changes[("order", "o2")] == ["order_placed", "order_cancelled"]
    assert changes[("member", "u1")] == ["member_registered", "membership_changed"]
    assert changes[("inventory", "KETTLE-MI-1.7L-WHITE")] == ["stock_changed"] * 2
    assert changes[("payment", "p3")] == ["cash_on_delivery_chosen"]
    last = {entity: mine[-1]["data"] for entity, mine in by_entity.items()}
    assert last[("order", "o1")]["status"] == "completed"
    assert last[("order", "o1")]["refunded"] == 2500
    assert last[("order", "o2")]["status"] == "cancelled"
    assert last[("member", "u1")]["level"] == "silver"
    assert last[("inventory", "KETTLE-MI-1.7L-WHITE")]["available"] == 119
    assert "email" not in last[("member", "u1")]  # contact details stay out of the feed
    source = {event.id: event.type for event in feed}
    assert all(source[r["source_event_id"]] == r["source_event_type"] for r in made)


def test_a_redelivered_event_makes_no_record(consumer, db, feed):
    for event in feed[:6]:
        consumer.apply(event)
    before = records(db)
    assert consumer.apply(feed[5]) is False  # the inbox has it
    assert records(db) == before


def test_records_go_out_through_the_outbox_on_their_topic_keyed_by_entity(consumer, db, feed):
    for event in feed:
        consumer.apply(event)
    with db.read() as session:
        rows = session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).all()
    sent = [(row.event_type, row.message_key, json.loads(row.payload)) for row in rows]
    assert [payload for _, _, payload in sent] == records(db)
    for topic, key, payload in sent:
        assert topic == TOPIC_OF[EntityType(payload["entity_type"])].value
        assert key == payload["entity_id"]
        assert json.loads(rows[0].headers)["content_type"] == CONTENT_TYPE
        jsonschema.validate(payload, RECORD_JSON_SCHEMAS[topic])


def test_a_shuffled_and_duplicated_feed_applied_by_the_rule_ends_in_the_producer_state(
        consumer, db, feed):
    random.Random(7).shuffle(feed)  # the business events too may come in any order
    for event in feed:
        consumer.apply(event)
    made = records(db)
    produced = entity_states(db)
    in_order = apply_feed(made)
    assert in_order == produced
    for seed in range(5):
        received = made + random.Random(seed).sample(made, k=len(made) // 2)
        random.Random(100 + seed).shuffle(received)
        assert apply_feed(received) == produced, seed
    # And applied naively (last one wins) it would not be: the rule is what makes it work.
    naive = {(r["entity_type"], r["entity_id"]): (r["sequence"], r["data"])
             for r in sorted(made, key=lambda r: -r["sequence"])}
    assert naive != produced


def test_the_relay_publishes_the_records_on_the_integration_topics(
        consumer, db, feed, kafka_settings):
    for event in feed:
        consumer.apply(event)
    relay = OutboxRelay("analytics", db, kafka_settings, DeliverySettings())
    try:
        while relay.publish_pending():
            pass
        relay.mark_published()
    finally:
        relay.close()
    orders = read_topic(kafka_settings, "integration.orders")
    o1 = [json.loads(r.value) for r in orders if r.key == b"o1"]
    assert [r["sequence"] for r in o1] == [1, 2, 3, 4]
    payments = {json.loads(r.value)["entity_id"]
                for r in read_topic(kafka_settings, "integration.payments")}
    assert payments == {"p0", "p1", "p2", "p3", "r1"}
    assert {r.key for r in read_topic(kafka_settings, "integration.members")} == {b"u1"}
    assert len(read_topic(kafka_settings, "integration.inventory")) == 2


def test_concurrent_changes_of_one_entity_get_distinct_gap_free_sequences(
        consumer, db, example_event):
    """Two consumers' transactions on one SKU at once queue on the entity's row."""
    events = [example_event("ProductUpdated", updated_at=f"2026-11-22T08:{n:02d}:00+00:00",
                            skus=[{"sku": "HOT", "price": {"amount": 100, "currency": "CNY"},
                                   "attributes": {}, "available": n}])
              for n in range(40)]
    errors: list[BaseException] = []

    def apply(mine: list) -> None:  # type: ignore[type-arg]
        for event in mine:
            try:
                consumer.apply(event)
            except BaseException as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=apply, args=(events[n::2],)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    hot = [r for r in records(db) if r["entity_id"] == "HOT"]
    assert [r["sequence"] for r in hot] == list(range(1, len(hot) + 1))
    # Newest updated_at wins: whatever interleaving, the last record is the newest state.
    assert hot[-1]["data"]["available"] == 39
    assert entity_states(db)[("inventory", "HOT")][0] == len(hot)
