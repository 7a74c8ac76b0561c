"""After-sales events in the catalog: reviews fold into the rating summary, goods returned
for a refund go back on hand; unknown products and SKUs are skipped, not retried."""

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.handlers import handlers
from catalog.models import Product, Sku
from catalog.products import load_catalog
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, decode
from service_runtime.testing.plugin import outbox_events

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"
CATEGORIES = [{"id": 1, "parent_id": None, "name": "厨房电器", "name_en": "Kitchen", "level": 1,
               "position": 0}]


def example(event_type: str, **changes):  # type: ignore[no-untyped-def]
    """The contract's example with ``data`` fields changed and a fresh id, decoded."""
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    raw["id"] = str(uuid.uuid4())
    raw["data"].update(changes)
    return decode(json.dumps(raw).encode())


@pytest.fixture
def stocked(db):
    load_catalog(db, CATEGORIES, [
        {"name": "Kettle", "brand": "测试", "category_id": 1, "description": "",
         "skus": [{"sku": "KETTLE", "price": {"amount": 9900, "currency": "CNY"}, "stock": 5}]},
        {"name": "Mug", "brand": "测试", "category_id": 1, "description": "",
         "skus": [{"sku": "MUG", "price": {"amount": 2500, "currency": "CNY"}, "stock": 10},
                  {"sku": "MUG-RED", "price": {"amount": 2500, "currency": "CNY"}, "stock": 0}]},
    ])
    with db.read() as session:
        return {p.name: p.id for p in session.scalars(select(Product))}


@pytest.fixture
def consumer(db):
    return EventConsumer("catalog", "catalog", db, handlers, KafkaSettings(), DeliverySettings())


def rating(db, product_id: int) -> tuple[int, int]:
    with db.read() as session:
        product = session.get(Product, product_id)
        return product.rating_count, product.rating_avg_x100


def on_hand(db) -> dict[str, int]:
    with db.read() as session:
        return {sku.sku: sku.on_hand for sku in session.scalars(select(Sku))}


def test_reviews_fold_into_the_rating_summary(stocked, consumer, db, client):
    kettle = stocked["Kettle"]
    published = len(outbox_events(db, "ProductUpdated"))
    for stars in (5, 4, 5):
        assert consumer.apply(example("ReviewPosted", product_id=kettle, rating=stars))
    assert rating(db, kettle) == (3, 467), "4.67 stars"
    assert rating(db, stocked["Mug"]) == (0, 0)
    shown = client.get(f"/api/v1/products/{kettle}").get_json()["rating"]
    assert shown == {"count": 3, "average": 4.67}
    assert len(outbox_events(db, "ProductUpdated")) == published, "a rating publishes nothing"


def test_a_redelivered_review_counts_once(stocked, consumer, db):
    event = example("ReviewPosted", product_id=stocked["Mug"], rating=2)
    assert consumer.apply(event) is True
    assert consumer.apply(event) is False
    assert rating(db, stocked["Mug"]) == (1, 200)


def test_the_average_is_exact_however_many_reviews(stocked, consumer, db):
    """Folding a rounded average into itself drifts; the kept total does not."""
    kettle = stocked["Kettle"]
    ratings = [5, 4, 4] * 33 + [1]
    for stars in ratings:
        consumer.apply(example("ReviewPosted", product_id=kettle, rating=stars))
    exact = (sum(ratings) * 100 + len(ratings) // 2) // len(ratings)
    assert rating(db, kettle) == (len(ratings), exact)


def test_a_review_of_an_unknown_product_is_skipped(stocked, consumer, db):
    assert consumer.apply(example("ReviewPosted", product_id=999999, rating=5)) is True
    assert rating(db, stocked["Kettle"]) == (0, 0)


def test_returned_goods_go_back_on_hand_and_the_stock_is_published(stocked, consumer, db):
    before = len(outbox_events(db, "ProductUpdated"))
    assert consumer.apply(example("ReturnReceived", type="return_refund", lines=[
        {"sku": "MUG", "quantity": 2}, {"sku": "MUG-RED", "quantity": 1},
        {"sku": "NO-SUCH-SKU", "quantity": 1}]))
    assert on_hand(db) == {"KETTLE": 5, "MUG": 12, "MUG-RED": 1}
    events = outbox_events(db, "ProductUpdated")[before:]
    assert len(events) == 1
    skus = {s["sku"]: s["available"] for s in events[0]["data"]["skus"]}
    assert skus == {"MUG": 12, "MUG-RED": 1}


def test_a_return_is_restocked_once_even_if_announced_twice(stocked, consumer, db):
    for _ in range(2):  # two events (two ids) for one return
        consumer.apply(example("ReturnReceived", return_id="ret_twice", type="return_refund",
                               lines=[{"sku": "MUG", "quantity": 2}]))
    assert on_hand(db)["MUG"] == 12


def test_an_exchange_or_a_refund_without_goods_restocks_nothing(stocked, consumer, db):
    before = len(outbox_events(db))
    for kind in ("exchange", "refund_only"):
        assert consumer.apply(example("ReturnReceived", type=kind,
                                      lines=[{"sku": "MUG", "quantity": 1}]))
    assert on_hand(db)["MUG"] == 10
    assert len(outbox_events(db)) == before


def test_returned_goods_of_unknown_skus_only_are_skipped(stocked, consumer, db):
    before = len(outbox_events(db))
    assert consumer.apply(example("ReturnReceived", type="return_refund",
                                  lines=[{"sku": "GONE", "quantity": 1}])) is True
    assert len(outbox_events(db)) == before


def test_a_replacement_shipment_leaves_reservations_alone(stocked, consumer, db):
    placed = example("OrderPlaced", order_id="ord_x", user_id="alice", lines=[
        {"sku": "MUG", "quantity": 3, "unit_price": {"amount": 2500, "currency": "CNY"}}],
        total={"amount": 7500, "currency": "CNY"})
    consumer.apply(placed)
    # An exchange's replacement is announced as ReplacementShipped, which the catalog does
    # not consume: no reservation of the order is involved.
    assert "ReplacementShipped" not in handlers.event_types
    with db.read() as session:
        mug = session.get(Sku, "MUG")
        assert (mug.on_hand, mug.reserved) == (10, 3)
    consumer.apply(example("Shipped", order_id="ord_x"))
    with db.read() as session:
        mug = session.get(Sku, "MUG")
        assert (mug.on_hand, mug.reserved) == (7, 0)
