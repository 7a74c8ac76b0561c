"""An Idempotency-Key is bound to the request it first came with, through the gateway."""

from __future__ import annotations

import uuid

from e2e_steps import KETTLE, default_address_id, sign_up


def refused_as_reused(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:shop:problem:idempotency-key-reused"


def test_one_kettle_then_two_with_the_same_key_is_refused(stack, http):
    shopper = sign_up(stack, "idem-order", wallet=0)
    headers = {**shopper, "Idempotency-Key": uuid.uuid4().hex}
    body = {"address_id": default_address_id(stack, http, shopper),
            "delivery_method": "express", "lines": [{"sku": KETTLE, "quantity": 1}]}
    first = http.post(stack.url("/api/v1/orders"), json=body, headers=headers)
    assert first.status_code == 201, first.text

    two = {**body, "lines": [{"sku": KETTLE, "quantity": 2}]}
    refused_as_reused(http.post(stack.url("/api/v1/orders"), json=two, headers=headers))

    again = http.post(stack.url("/api/v1/orders"), json=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    orders = http.get(stack.url("/api/v1/orders"), headers=shopper).json()["items"]
    assert [(o["id"], [line["quantity"] for line in o["lines"]]) for o in orders] == [
        (first.json()["id"], [1])]


def test_a_top_up_key_sent_again_for_another_package_is_refused(stack, http):
    shopper = sign_up(stack, "idem-top-up", wallet=0)
    headers = {**shopper, "Idempotency-Key": uuid.uuid4().hex}
    url = stack.url("/api/v1/wallet/top-ups")
    first = http.post(url, json={"package_id": "cny100", "method": "alipay"}, headers=headers)
    assert first.status_code == 201, first.text
    refused_as_reused(http.post(url, json={"package_id": "cny500", "method": "alipay"},
                                headers=headers))
    again = http.post(url, json={"package_id": "cny100", "method": "alipay"}, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
