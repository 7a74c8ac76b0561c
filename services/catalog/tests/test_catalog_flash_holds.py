"""Flash-sale holds: a scheduled session sets its units apart (FlashStockHeld, once),
flash orders take from the hold, a cancelled one gives back to it while it is live, the
session's end returns what is left to normal stock; normal orders never touch it."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from catalog.flash_models import FlashHold
from catalog.handlers import handlers
from catalog.models import Sku
from catalog.products import load_catalog
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, decode
from service_runtime.testing.kafka_tools import envelope
from service_runtime.testing.plugin import outbox_events

CATEGORIES = [{"id": 1, "parent_id": None, "name": "厨房电器", "name_en": "Kitchen", "level": 1,
               "position": 0}]
NOW = datetime.now(UTC).isoformat()


def product(name: str, *skus: tuple[str, int]) -> dict:
    return {"name": name, "brand": "测试", "category_id": 1, "description": "",
            "skus": [{"sku": sku, "price": {"amount": 1000, "currency": "CNY"}, "stock": stock}
                     for sku, stock in skus]}


@pytest.fixture
def stocked(db):
    load_catalog(db, CATEGORIES, [product("Kettle", ("KETTLE", 10)), product("Mug", ("MUG", 3))])
    return db


@pytest.fixture
def apply(db):
    consumer = EventConsumer("catalog", "catalog", db, handlers, KafkaSettings(),
                             DeliverySettings())

    def run(event_type: str, key: str, data: dict) -> bool:
        return consumer.apply(decode(json.dumps(envelope(event_type, key, data)).encode()))

    return run


def scheduled(apply, session_id: str, *items: tuple[str, int]) -> bool:
    return apply("FlashSessionScheduled", session_id, {
        "session_id": session_id, "starts_at": NOW, "ends_at": NOW, "scheduled_at": NOW,
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items]})


def ended(apply, session_id: str) -> bool:
    return apply("FlashSessionEnded", session_id, {"session_id": session_id, "ended_at": NOW})


def placed(apply, order_id: str, sku: str, quantity: int, session_id: str | None) -> bool:
    data = {"order_id": order_id, "user_id": "alice",
            "lines": [{"sku": sku, "quantity": quantity,
                       "unit_price": {"amount": 1000, "currency": "CNY"}}],
            "total": {"amount": 1000 * quantity, "currency": "CNY"},
            "delivery_method": "express", "address_id": "home", "placed_at": NOW}
    if session_id:
        data["campaign"] = {"kind": "flash_sale", "campaign_id": session_id,
                            "attempt_id": "fsa_" + order_id}
    return apply("OrderPlaced", order_id, data)


def cancelled(apply, order_id: str, sku: str, quantity: int) -> bool:
    return apply("OrderCancelled", order_id, {
        "order_id": order_id, "user_id": "alice", "reason": "unpaid",
        "lines": [{"sku": sku, "quantity": quantity}], "cancelled_at": NOW})


def stock(db, sku: str) -> tuple[int, int]:
    with db.read() as session:
        row = session.get(Sku, sku)
        return row.on_hand, row.reserved


def left(db, session_id: str, sku: str) -> tuple[int, str]:
    with db.read() as session:
        hold = session.scalar(select(FlashHold).where(FlashHold.session_id == session_id,
                                                      FlashHold.sku == sku))
        return hold.units_left, hold.status


def test_a_scheduled_session_holds_what_there_is_once(stocked, apply):
    assert scheduled(apply, "fls_1", ("KETTLE", 4), ("MUG", 5), ("NOPE", 2))
    scheduled(apply, "fls_1", ("KETTLE", 4), ("MUG", 5), ("NOPE", 2))  # another copy
    assert stock(stocked, "KETTLE") == (10, 4) and stock(stocked, "MUG") == (3, 3)
    [held] = outbox_events(stocked, "FlashStockHeld")
    assert held["data"]["items"] == [{"sku": "KETTLE", "requested": 4, "held": 4},
                                     {"sku": "MUG", "requested": 5, "held": 3},
                                     {"sku": "NOPE", "requested": 2, "held": 0}]


def test_flash_orders_take_from_the_hold_and_give_back_to_it(stocked, apply):
    scheduled(apply, "fls_1", ("KETTLE", 4))
    placed(apply, "ord_n", "KETTLE", 6, None)  # a normal order: the other 6
    assert stock(stocked, "KETTLE") == (10, 10)
    placed(apply, "ord_f1", "KETTLE", 3, "fls_1")
    assert left(stocked, "fls_1", "KETTLE") == (1, "live")
    assert stock(stocked, "KETTLE") == (10, 10)  # the hold's units were reserved already
    placed(apply, "ord_f2", "KETTLE", 2, "fls_1")  # more than is left: refused
    rejected = [e for e in outbox_events(stocked, "StockRejected")]
    assert [e["data"]["order_id"] for e in rejected] == ["ord_f2"]
    cancelled(apply, "ord_f1", "KETTLE", 3)
    cancelled(apply, "ord_f1", "KETTLE", 3)  # another copy
    assert left(stocked, "fls_1", "KETTLE") == (4, "live")
    assert stock(stocked, "KETTLE") == (10, 10)
    placed(apply, "ord_f3", "KETTLE", 4, "fls_1")  # the units sell again
    assert left(stocked, "fls_1", "KETTLE") == (0, "live")


def test_the_sessions_end_releases_the_rest_and_later_releases_go_to_normal_stock(
        stocked, apply):
    scheduled(apply, "fls_1", ("KETTLE", 5))
    placed(apply, "ord_f1", "KETTLE", 2, "fls_1")
    assert ended(apply, "fls_1")
    ended(apply, "fls_1")  # another copy
    assert left(stocked, "fls_1", "KETTLE") == (3, "closed")
    assert stock(stocked, "KETTLE") == (10, 2)  # only the flash order's units
    cancelled(apply, "ord_f1", "KETTLE", 2)
    assert stock(stocked, "KETTLE") == (10, 0)
    # An order of the session made after its end reserves as any order would.
    placed(apply, "ord_f2", "KETTLE", 1, "fls_1")
    assert stock(stocked, "KETTLE") == (10, 1)


def test_an_end_before_the_schedule_holds_nothing(stocked, apply):
    ended(apply, "fls_2")
    scheduled(apply, "fls_2", ("KETTLE", 5))
    assert stock(stocked, "KETTLE") == (10, 0)
    assert outbox_events(stocked, "FlashStockHeld") == []
