"""Stock reservations from order events: all lines or none, once, never oversold."""

import json
import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from catalog.handlers import handlers
from catalog.inventory import reservation_status
from catalog.models import Reservation, Sku
from catalog.products import load_catalog
from event_contracts import REGISTRY
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, decode
from service_runtime.testing.kafka_tools import envelope
from service_runtime.testing.plugin import outbox_events

CATEGORIES = [{"id": 1, "parent_id": None, "name": "厨房电器", "name_en": "Kitchen", "level": 1,
               "position": 0}]


def product(name: str, *skus: tuple[str, int]) -> dict:
    return {"name": name, "brand": "测试", "category_id": 1, "description": "",
            "skus": [{"sku": sku, "price": {"amount": 1000, "currency": "CNY"}, "stock": stock}
                     for sku, stock in skus]}


@pytest.fixture
def stocked(db):
    load_catalog(db, CATEGORIES, [product("Kettle", ("KETTLE", 10)),
                                  product("Mug", ("MUG", 1000), ("MUG-RED", 0))])
    return db


@pytest.fixture
def consumer(db):
    return EventConsumer("catalog", "catalog", db, handlers, KafkaSettings(), DeliverySettings())


def placed(order_id: str, *lines: tuple[str, int], event_id: str | None = None):
    data = {
        "order_id": order_id, "user_id": "alice",
        "lines": [{"sku": sku, "quantity": qty, "unit_price": {"amount": 1000, "currency": "CNY"}}
                  for sku, qty in lines],
        "total": {"amount": 1000 * sum(q for _, q in lines), "currency": "CNY"},
        "delivery_method": "express", "address_id": "home",
        "placed_at": datetime.now(UTC).isoformat(),
    }
    return decode(json.dumps(envelope("OrderPlaced", order_id, data, event_id=event_id)).encode())


def cancelled(order_id: str, *lines: tuple[str, int]):
    data = {"order_id": order_id, "user_id": "alice", "reason": "changed my mind",
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
            "cancelled_at": datetime.now(UTC).isoformat()}
    return decode(json.dumps(envelope("OrderCancelled", order_id, data)).encode())


def stock(db, sku: str) -> tuple[int, int]:
    with db.read() as session:
        row = session.get(Sku, sku)
        return row.on_hand, row.reserved


def events(db, event_type: str) -> list[dict]:
    found = outbox_events(db, event_type)
    for event in found:
        REGISTRY.validate_outgoing(event_type, event["version"], event["data"])
    return found


def test_an_order_reserves_every_line_and_says_so(stocked, consumer, client):
    assert consumer.apply(placed("ord_1", ("KETTLE", 2), ("MUG", 3), ("KETTLE", 1))) is True
    assert stock(stocked, "KETTLE") == (10, 3)
    assert stock(stocked, "MUG") == (1000, 3)
    [event] = events(stocked, "StockReserved")
    assert event["key"] == "ord_1"
    assert event["data"]["lines"] == [{"sku": "KETTLE", "quantity": 3},
                                      {"sku": "MUG", "quantity": 3}]
    kettle = client.get("/api/v1/products", query_string={"q": "kettle"}).json["items"][0]
    detail = client.get(f"/api/v1/products/{kettle['id']}").json
    assert detail["skus"][0]["available"] == 7


def test_one_short_line_rejects_the_whole_order_and_reserves_nothing(stocked, consumer):
    consumer.apply(placed("ord_1", ("MUG", 5), ("KETTLE", 11)))
    assert stock(stocked, "MUG") == (1000, 0), "the line that fitted was rolled back too"
    assert stock(stocked, "KETTLE") == (10, 0)
    assert events(stocked, "StockReserved") == []
    [event] = events(stocked, "StockRejected")
    assert event["data"]["reason"] == "insufficient_stock"
    assert event["data"]["lines"] == [{"sku": "KETTLE", "requested": 11, "available": 10},
                                      {"sku": "MUG", "requested": 5, "available": 1000}]
    assert reservation_status(stocked, "ord_1") == "rejected"


def test_unknown_and_sold_out_skus_are_rejected(stocked, consumer):
    consumer.apply(placed("ord_1", ("GHOST", 1), ("MUG", 1)))
    consumer.apply(placed("ord_2", ("MUG-RED", 1)))
    first, second = events(stocked, "StockRejected")
    assert first["data"]["reason"] == "unknown_sku"
    assert {"sku": "GHOST", "requested": 1, "available": 0} in first["data"]["lines"]
    assert second["data"]["reason"] == "insufficient_stock"
    assert stock(stocked, "MUG") == (1000, 0)


def test_the_same_order_placed_twice_reserves_once(stocked, consumer):
    event = placed("ord_1", ("KETTLE", 4))
    assert consumer.apply(event) is True
    assert consumer.apply(event) is False  # the inbox: same event id
    assert consumer.apply(placed("ord_1", ("KETTLE", 4))) is True  # re-sent with a new id
    assert stock(stocked, "KETTLE") == (10, 4)
    assert len(events(stocked, "StockReserved")) == 1


def test_cancelling_releases_what_the_order_reserved_once(stocked, consumer):
    consumer.apply(placed("ord_1", ("KETTLE", 4), ("MUG", 2)))
    consumer.apply(placed("ord_2", ("KETTLE", 1)))
    assert consumer.apply(cancelled("ord_1", ("KETTLE", 4), ("MUG", 2))) is True
    assert stock(stocked, "KETTLE") == (10, 1)
    assert stock(stocked, "MUG") == (1000, 0)
    consumer.apply(cancelled("ord_1", ("KETTLE", 4), ("MUG", 2)))  # again, new event id
    assert stock(stocked, "KETTLE") == (10, 1), "released once only"
    assert reservation_status(stocked, "ord_1") == "released"


def test_cancelling_a_rejected_order_releases_nothing(stocked, consumer):
    consumer.apply(placed("ord_1", ("KETTLE", 3)))
    consumer.apply(placed("ord_2", ("KETTLE", 8)))  # rejected: only 7 left
    consumer.apply(cancelled("ord_2", ("KETTLE", 8)))
    assert stock(stocked, "KETTLE") == (10, 3)


def test_a_cancellation_that_overtakes_its_order_prevents_the_reservation(stocked, consumer):
    consumer.apply(cancelled("ord_1", ("KETTLE", 2)))
    consumer.apply(placed("ord_1", ("KETTLE", 2)))
    assert stock(stocked, "KETTLE") == (10, 0)
    assert events(stocked, "StockReserved") == []


def test_a_failing_handler_leaves_no_reservation(stocked, consumer, monkeypatch):
    from catalog import events as catalog_events

    def explode(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(catalog_events.outbox, "emit", explode)
    with pytest.raises(RuntimeError):
        consumer.apply(placed("ord_1", ("KETTLE", 2)))
    assert stock(stocked, "KETTLE") == (10, 0)
    with stocked.read() as session:
        assert session.scalars(select(Reservation)).all() == []


def test_concurrent_orders_for_the_last_units_never_oversell(stocked, consumer):
    """30 buyers at once for 10 kettles (each also takes a mug): exactly 10 win."""
    buyers = 30
    barrier = threading.Barrier(buyers)
    orders = [placed(f"ord_{i}_{uuid.uuid4().hex[:6]}", ("MUG", 1), ("KETTLE", 1))
              for i in range(buyers)]
    errors: list[BaseException] = []

    def buy(event) -> None:
        barrier.wait()
        try:
            consumer.apply(event)
        except BaseException as exc:  # collected, so the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=buy, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stock(stocked, "KETTLE") == (10, 10)
    assert stock(stocked, "MUG") == (1000, 10), "rejected orders hold no mugs either"
    reserved, rejected = events(stocked, "StockReserved"), events(stocked, "StockRejected")
    assert (len(reserved), len(rejected)) == (10, buyers - 10)
    statuses = [reservation_status(stocked, o.data["order_id"]) for o in orders]
    assert sorted(statuses) == ["rejected"] * 20 + ["reserved"] * 10
    assert {e["data"]["order_id"] for e in reserved} == {
        o.data["order_id"] for o, s in zip(orders, statuses, strict=True) if s == "reserved"}


def shipped_event(order_id: str):
    data = {"shipment_id": "shp_1", "order_id": order_id, "carrier": "sf",
            "tracking_number": "SF123", "shipped_at": datetime.now(UTC).isoformat()}
    return decode(json.dumps(envelope("Shipped", order_id, data)).encode())


def test_shipping_takes_the_reserved_units_out_of_stock_once(stocked, consumer, client):
    consumer.apply(placed("ord_1", ("KETTLE", 3)))
    consumer.apply(shipped_event("ord_1"))
    consumer.apply(shipped_event("ord_1"))  # a duplicate with a new event id
    assert stock(stocked, "KETTLE") == (7, 0)
    assert reservation_status(stocked, "ord_1") == "committed"
    consumer.apply(cancelled("ord_1", ("KETTLE", 3)))  # too late: nothing comes back
    assert stock(stocked, "KETTLE") == (7, 0)
    kettle = client.get("/api/v1/products", query_string={"q": "kettle"}).json["items"][0]
    assert kettle["sales_count"] == 3
    consumer.apply(shipped_event("ord_unknown"))  # orders the catalog never saw: ignored
    assert stock(stocked, "KETTLE") == (7, 0)


def test_stock_moves_are_published_so_copies_stay_current(stocked, consumer):
    before = len(events(stocked, "ProductUpdated"))

    def kettle_available() -> list[int]:
        return [sku["available"] for event in events(stocked, "ProductUpdated")[before:]
                for sku in event["data"]["skus"] if sku["sku"] == "KETTLE"]

    consumer.apply(placed("ord_1", ("KETTLE", 4)))
    consumer.apply(cancelled("ord_1", ("KETTLE", 4)))
    consumer.apply(placed("ord_2", ("KETTLE", 10), ("MUG-RED", 1)))  # rejected: nothing moves
    assert kettle_available() == [6, 10]
    stamps = [event["data"]["updated_at"] for event in events(stocked, "ProductUpdated")]
    assert stamps == sorted(stamps), "each publication is newer than the one before"
