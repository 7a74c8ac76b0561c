"""The order worker on FlashAttemptWon: one order per attempt however often the event
comes, the address read through the user service's internal endpoint (stubbed at its
HTTP boundary), the quote asked with the flash campaign; an address not the buyer's or a
SKU without a price is a FlashOrderRejected and no order."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from order.handlers import handlers_for
from order.models import Order
from order.settings import OrderSettings
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.handlers import Event, decode
from service_runtime.testing.contracts import http_answer, serve_stub
from service_runtime.testing.plugin import outbox_events

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"
HOME = {"recipient": "李雷", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
        "district": "西湖区", "detail": "文三路 100 号"}
BOOKS = {("alice", "addr_1"): HOME}


@pytest.fixture
def internal_address_book(signing_key):
    """``GET /internal/users/<user_id>/addresses/<address_id>`` of the user service."""
    def answer(_caller, parameters):
        found = BOOKS.get((parameters["user_id"], parameters["address_id"]))
        if found is None:
            return http_answer("user", "not_in_your_book")
        status, body = http_answer("user", "found")
        return status, {**body, **found, "id": parameters["address_id"]}

    with serve_stub(signing_key, {"GET /internal/users/<user_id>/addresses/<address_id>": answer}) \
            as url:
        yield url


@pytest.fixture
def flash_consumer(db, internal_address_book, marketing, cart):
    marketing.campaigns["fls_1"] = {"unit": 6900}  # the session's flash price (list 9,900)
    settings = OrderSettings(user_service_url=internal_address_book, cart_service_url=cart.url,
                             marketing_service_url=marketing.url)
    return EventConsumer("order", "order", db, handlers_for(settings), KafkaSettings(),
                         DeliverySettings())


def won(attempt_id: str, **changes) -> Event:
    raw = json.loads((EXAMPLES / "FlashAttemptWon.v1.json").read_text())
    raw["id"] = str(uuid.uuid4())
    raw["data"].update({"attempt_id": attempt_id, "session_id": "fls_1", "user_id": "alice",
                        "sku": "KETTLE", "address_id": "addr_1", "payment_timeout_s": 120,
                        **changes})
    raw["key"] = attempt_id
    return decode(json.dumps(raw).encode())


def orders_of(db, attempt_id: str) -> list[Order]:
    with db.read() as session:
        return [order for order in session.scalars(select(Order))
                if (order.campaign or {}).get("attempt_id") == attempt_id]


def test_a_won_attempt_becomes_one_order_even_when_the_event_comes_twice(
        app, db, flash_consumer, marketing):
    first = won("fsa_0000000000010000000001")
    assert flash_consumer.apply(first)
    assert not flash_consumer.apply(first)  # the same event again: the inbox says applied
    assert flash_consumer.apply(won("fsa_0000000000010000000001"))  # another copy, new id
    [order] = orders_of(db, "fsa_0000000000010000000001")
    assert order.campaign == {"kind": "flash_sale", "campaign_id": "fls_1",
                              "attempt_id": "fsa_0000000000010000000001"}
    assert order.status == "pending" and order.shipping_address["detail"] == "文三路 100 号"
    assert (order.payment_due_at - order.created_at).total_seconds() == 120
    placed = [e for e in outbox_events(db, "OrderPlaced") if e["data"]["order_id"] == order.id]
    assert len(placed) == 1
    assert placed[0]["data"]["campaign"]["attempt_id"] == "fsa_0000000000010000000001"
    assert datetime.fromisoformat(placed[0]["data"]["payment_due_at"]) == order.payment_due_at
    # Priced by the quote with the flash campaign (the flash price itself is marketing's).
    _headers, body = marketing.requests[-1]
    assert body["campaign"] == {"kind": "flash_sale", "campaign_id": "fls_1"}
    assert [(a["kind"], a["amount"]["amount"]) for a in order.adjustments
            if a["kind"] != "shipping"] == [("flash_price", 3000)]
    assert not outbox_events(db, "FlashOrderRejected")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"address_id": "addr_bob"}, "unknown_address"),
    ({"user_id": "bob", "address_id": "addr_1"}, "unknown_address"),
    ({"sku": "NO-SUCH-SKU"}, "not_orderable"),
])
def test_an_attempt_that_cannot_be_ordered_is_rejected(app, db, flash_consumer, changes,
                                                       reason):
    assert flash_consumer.apply(won("fsa_0000000000020000000002", **changes))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
    [rejected] = outbox_events(db, "FlashOrderRejected")
    assert rejected["data"]["reason"] == reason
    assert rejected["data"]["attempt_id"] == "fsa_0000000000020000000002"
