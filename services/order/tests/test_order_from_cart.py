"""Placing an order from the caller's cart: the real cart service over real HTTP."""

import json

import pytest

from cart.app import create_app as create_cart_app
from cart.definition import DEFINITION as CART
from cart.handlers import handlers as cart_handlers
from service_runtime.auth import jwks
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, decode
from service_runtime.testing.checks import migrated_app
from service_runtime.testing.kafka_tools import envelope
from service_runtime.testing.plugin import outbox_events
from service_runtime.testing.processes import free_port, served

BODY = {"address_id": "addr_1", "delivery_method": "standard"}


def product_updated(product_id: int, sku: str, amount: int) -> object:
    data = {"product_id": product_id, "name": sku, "brand": "b", "category_id": 1,
            "skus": [{"sku": sku, "price": {"amount": amount, "currency": "CNY"},
                      "attributes": {}, "available": 50}],
            "updated_at": "2026-11-22T08:00:00+00:00"}
    return decode(json.dumps(envelope("ProductUpdated", str(product_id), data)).encode())


@pytest.fixture
def cart_app(new_database, signing_key):
    """The real cart service, with its own database, knowing the test SKUs."""
    with migrated_app(CART, create_cart_app, new_database("cart"),
                      config={"AUTH_JWKS": jwks(signing_key)}) as app:
        consumer = EventConsumer("cart", "cart", app.extensions["db"], cart_handlers,
                                 KafkaSettings(), DeliverySettings())
        # The cart shows its own (stale) prices: the order must not use them.
        consumer.apply(product_updated(1, "KETTLE", 1))
        consumer.apply(product_updated(2, "MUG", 1))
        yield app


@pytest.fixture
def cart_url(cart_app, monkeypatch):
    with served(cart_app) as url:
        monkeypatch.setenv("CART_SERVICE_URL", url)
        yield url


def test_without_lines_the_callers_cart_is_ordered_at_the_order_services_prices(
        client, db, alice, bob, cart_app, cart_url):
    cart = cart_app.test_client()
    for sku, quantity in (("KETTLE", 1), ("MUG", 3)):
        added = cart.post("/api/v1/cart/items", json={"sku": sku, "quantity": quantity},
                          headers=alice)
        assert added.status_code == 200, added.json
    cart.post("/api/v1/cart/items", json={"sku": "MUG", "quantity": 9}, headers=bob)

    response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 201, response.json
    order = response.json
    assert [(line["sku"], line["quantity"], line["unit_price"]["amount"])
            for line in order["lines"]] == [("KETTLE", 1, 9900), ("MUG", 3, 2500)]
    assert order["total"]["amount"] == 9900 + 3 * 2500
    [event] = outbox_events(db, "OrderPlaced")
    assert [(line["sku"], line["quantity"]) for line in event["data"]["lines"]] == [
        ("KETTLE", 1), ("MUG", 3)]


def test_an_empty_cart_is_a_422_problem(client, db, alice, cart_url):
    response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:empty-cart"
    assert outbox_events(db) == []


def test_a_cart_that_is_down_is_a_503_problem(client, db, alice, monkeypatch):
    monkeypatch.setenv("CART_SERVICE_URL", f"http://127.0.0.1:{free_port()}")
    response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:cart-unavailable"
    assert outbox_events(db) == []


def test_a_cart_that_answers_garbage_is_a_503_problem(client, alice, monkeypatch):
    from werkzeug.wrappers import Response

    with served(lambda environ, start: Response("<html>", status=500)(environ, start)) as url:
        monkeypatch.setenv("CART_SERVICE_URL", url)
        response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 503


def test_an_idempotent_replay_returns_the_order_without_asking_the_cart(
        client, alice, cart_app, cart_url, monkeypatch):
    cart_app.test_client().post("/api/v1/cart/items", json={"sku": "KETTLE", "quantity": 1},
                                headers=alice)
    headers = {**alice, "Idempotency-Key": "cart-order-1"}
    first = client.post("/api/v1/orders", json=BODY, headers=headers)
    monkeypatch.setenv("CART_SERVICE_URL", f"http://127.0.0.1:{free_port()}")  # cart gone
    again = client.post("/api/v1/orders", json=BODY, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
