"""Every event the cart consumes matches its contract, and the examples apply cleanly."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

import event_contracts.events
from cart.handlers import handlers
from cart.models import CartLine, CatalogSku
from event_contracts import REGISTRY
from service_runtime.consumer import decode
from service_runtime.testing.plugin import bearer

EXAMPLES = Path(event_contracts.events.__file__).parent.parent / "examples"
CONSUMED = ["OrderPlaced", "ProductUpdated"]


def example(event_type: str) -> dict:
    return json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())


def test_the_cart_consumes_exactly_these_events():
    assert handlers.event_types == CONSUMED


@pytest.mark.parametrize("event_type", CONSUMED)
def test_each_consumed_event_validates_against_its_contract(event_type):
    raw = example(event_type)
    assert raw["type"] == event_type and raw["version"] == 1
    REGISTRY.validate_outgoing(event_type, 1, raw["data"])
    event = decode(json.dumps(raw).encode())
    assert handlers.resolve(event.type, event.version) is not None


@pytest.mark.parametrize("event_type", CONSUMED)
def test_a_consumer_tolerates_fields_added_later(event_type):
    raw = example(event_type)
    raw["data"]["added_in_a_later_release"] = {"anything": 1}
    assert "added_in_a_later_release" not in decode(json.dumps(raw).encode()).data


def test_the_examples_apply_through_the_handlers(consumer, db, client, signing_key):
    product = decode(json.dumps(example("ProductUpdated")).encode())
    assert consumer.apply(product) is True
    with db.read() as session:
        sku = session.get(CatalogSku, "KETTLE-MI-1.7L-WHITE")
        assert (sku.product_id, sku.price_amount, sku.available) == (1, 9900, 120)
        assert sku.attributes == {"colour": "白色 White", "capacity": "1.7L"}

    buyer = bearer(signing_key, "usr_1001")
    client.post("/api/v1/cart/items", json={"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 3},
                headers=buyer)
    order = decode(json.dumps(example("OrderPlaced")).encode())
    assert consumer.apply(order) is True
    with db.read() as session:
        assert [(row.sku, row.quantity) for row in session.scalars(select(CartLine))] == [
            ("KETTLE-MI-1.7L-WHITE", 2)]
