"""Placing an order from the caller's cart: the cart service stubbed at its HTTP boundary
(answering as its contract examples say, see conftest's ``CartStub``)."""

import requests

from service_runtime.testing.contracts import http_answer
from service_runtime.testing.plugin import outbox_events
from service_runtime.testing.processes import free_port, served

BODY = {"address_id": "addr_1", "delivery_method": "standard"}


def test_the_stubs_answer_as_the_contract_examples_say(cart, address_book, alice, bob):
    """The stubs these tests read are the services the contracts describe: the cart's and
    the user service's own tests check that the real services answer these examples."""
    cart.holds("alice", ("KETTLE", 1), ("MUG", 3))
    answered = requests.get(f"{cart.url}/api/v1/cart", headers=alice, timeout=5)
    assert (answered.status_code, answered.json()) == http_answer("cart", "with_lines")
    answered = requests.get(f"{cart.url}/api/v1/cart", headers=bob, timeout=5)
    assert (answered.status_code, answered.json()) == http_answer("cart", "empty")

    book = f"{address_book.url}/api/v1/users/me/addresses"
    answered = requests.get(f"{book}/addr_1", headers=alice, timeout=5)
    assert (answered.status_code, answered.json()) == http_answer("user", "found")
    answered = requests.get(f"{book}/addr_unknown", headers=alice, timeout=5)
    assert (answered.status_code, answered.json()) == http_answer("user", "not_in_your_book")
    assert answered.headers["Content-Type"] == "application/problem+json"


def test_without_lines_the_callers_cart_is_ordered_at_the_order_services_prices(
        client, db, alice, bob, cart):
    # The cart shows its own (stale) prices: the order must not use them.
    cart.holds("alice", ("KETTLE", 1), ("MUG", 3))
    cart.holds("bob", ("MUG", 9))

    response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 201, response.json
    order = response.json
    assert [(line["sku"], line["quantity"], line["unit_price"]["amount"])
            for line in order["lines"]] == [("KETTLE", 1, 9900), ("MUG", 3, 2500)]
    assert order["total"]["amount"] == 9900 + 3 * 2500
    [event] = outbox_events(db, "OrderPlaced")
    assert [(line["sku"], line["quantity"]) for line in event["data"]["lines"]] == [
        ("KETTLE", 1), ("MUG", 3)]


def test_an_empty_cart_is_a_422_problem(client, db, alice, cart):
    response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:empty-cart"
    assert outbox_events(db) == []


def test_a_cart_that_is_down_is_a_503_problem(client, db, alice, reconfigure):
    reconfigure(cart_service_url=f"http://127.0.0.1:{free_port()}")
    response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:cart-unavailable"
    assert outbox_events(db) == []


def test_a_cart_that_answers_garbage_is_a_503_problem(client, alice, reconfigure):
    from werkzeug.wrappers import Response

    with served(lambda environ, start: Response("<html>", status=500)(environ, start)) as url:
        reconfigure(cart_service_url=url)
        response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 503


def test_an_idempotent_replay_returns_the_order_without_asking_the_cart(
        client, alice, cart, reconfigure):
    cart.holds("alice", ("KETTLE", 1))
    headers = {**alice, "Idempotency-Key": "cart-order-1"}
    first = client.post("/api/v1/orders", json=BODY, headers=headers)
    reconfigure(cart_service_url=f"http://127.0.0.1:{free_port()}")  # cart gone
    again = client.post("/api/v1/orders", json=BODY, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
