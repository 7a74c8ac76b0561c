"""The cart service answers what other services' tests expect of it: the examples in
``event_contracts/http_examples/cart.json`` that their stubs answer (e.g. the order
service placing an order from the caller's cart)."""

from __future__ import annotations

import pytest

from service_runtime.testing.contracts import assert_answers_as_documented, http_answer


@pytest.fixture
def document(client) -> dict:
    return client.get("/openapi.json").json


@pytest.fixture
def stale_catalog(consumer, product_event):
    """The SKUs of the example, at the prices the cart last heard of."""
    _, example = http_answer("cart", "with_lines")
    for product_id, line in enumerate(example["lines"], start=1):
        consumer.apply(product_event(product_id, line["name"], (
            line["sku"], line["unit_price"]["amount"], line["available"])))


def test_a_cart_with_lines_is_answered_as_the_example_says(
        client, alice, stale_catalog, document):
    _, example = http_answer("cart", "with_lines")
    for line in example["lines"]:
        added = client.post("/api/v1/cart/items", headers=alice,
                            json={"sku": line["sku"], "quantity": line["quantity"]})
        assert added.status_code == 200, added.json
    response = client.get("/api/v1/cart", headers=alice)
    # When a line was added is the clock's; the example shows a fixed time.
    answered = {**response.json, "lines": [
        {**line, "added_at": expected["added_at"]}
        for line, expected in zip(response.json["lines"], example["lines"], strict=False)]}
    assert_answers_as_documented(document, "cart", "with_lines", response.status_code, answered)


def test_an_empty_cart_is_answered_as_the_example_says(client, alice, document):
    response = client.get("/api/v1/cart", headers=alice)
    assert_answers_as_documented(document, "cart", "empty", response.status_code, response.json)
