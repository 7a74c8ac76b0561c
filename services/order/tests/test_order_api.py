"""The order API through the Flask test client, on a real database."""

import json
import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from event_contracts import REGISTRY
from order.cart_and_user_client import ADDRESS_FIELDS
from order.models import Order
from service_runtime.testing.checks import assert_ops_endpoints
from service_runtime.testing.contracts import http_answer
from service_runtime.testing.plugin import outbox_events
from service_runtime.testing.processes import free_port

# alice's addr_1 (see conftest): the address of the user service's contract example.
HOME = {name: http_answer("user", "found")[1][name] for name in ADDRESS_FIELDS}

BODY = {"address_id": "addr_1", "delivery_method": "express",
        "lines": [{"sku": "KETTLE", "quantity": 1}, {"sku": "MUG", "quantity": 2}]}


def count_orders(db) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Order))


def test_placing_an_order_prices_it_stores_it_and_emits_order_placed(client, db, alice):
    response = client.post("/api/v1/orders", json=BODY,
                           headers={**alice, "X-Correlation-ID": "corr-123"})
    assert response.status_code == 201, response.json
    order = response.json
    assert order["status"] == "pending"
    # Delivery is free from ¥99 (the marketing quote's shipping).
    assert order["total"] == {"amount": 9900 + 2 * 2500, "currency": "CNY"}
    assert [(line["sku"], line["subtotal"]["amount"]) for line in order["lines"]] == [
        ("KETTLE", 9900), ("MUG", 5000)]
    assert [entry["status"] for entry in order["timeline"]] == ["pending"]

    [event] = outbox_events(db, "OrderPlaced")
    assert event["key"] == order["id"]
    assert event["correlation_id"] == "corr-123"
    assert event["source"] == "order"
    REGISTRY.validate_outgoing("OrderPlaced", event["version"], event["data"])
    assert event["data"]["total"] == {"amount": 14900, "currency": "CNY"}
    assert event["data"]["user_id"] == "alice"


def test_the_order_keeps_a_copy_of_the_buyers_address(client, db, alice, address_book):
    headers = {**alice, "Idempotency-Key": uuid.uuid4().hex}
    order = client.post("/api/v1/orders", json=BODY, headers=headers).json
    assert order["address_id"] == "addr_1"
    assert order["shipping_address"] == HOME
    [event] = outbox_events(db, "OrderPlaced")
    assert event["data"]["shipping_address"] == HOME

    # The buyer edits the address book afterwards: the order does not move.
    address_book.move("addr_1", city="宁波市")
    assert client.get(f"/api/v1/orders/{order['id']}",
                      headers=alice).json["shipping_address"] == HOME
    assert client.post("/api/v1/orders", json=BODY, headers=headers).json[
        "shipping_address"] == HOME, "a replay returns the order as placed"
    again = client.post("/api/v1/orders", json=BODY, headers=alice).json
    assert again["shipping_address"]["city"] == "宁波市"


@pytest.mark.parametrize("address_id", ["addr_bob", "addr_nowhere", "../../me", "addr 1?x=1"])
def test_an_address_not_in_the_buyers_book_is_a_422_and_places_nothing(client, db, alice,
                                                                      address_id):
    response = client.post("/api/v1/orders", json={**BODY, "address_id": address_id},
                           headers=alice)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:unknown-address"
    assert count_orders(db) == 0
    assert outbox_events(db) == []


def test_an_address_book_that_is_down_is_a_503_and_places_nothing(client, db, alice,
                                                                  reconfigure):
    reconfigure(user_service_url=f"http://127.0.0.1:{free_port()}")
    response = client.post("/api/v1/orders", json=BODY, headers=alice)
    assert response.status_code == 503
    assert response.json["type"] == "urn:shop:problem:address-book-unavailable"
    assert count_orders(db) == 0


def test_a_replay_returns_the_order_without_reading_the_address_again(client, alice,
                                                                      reconfigure):
    headers = {**alice, "Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/api/v1/orders", json=BODY, headers=headers)
    reconfigure(user_service_url=f"http://127.0.0.1:{free_port()}")  # gone
    again = client.post("/api/v1/orders", json=BODY, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json


def test_client_prices_are_ignored(client, alice):
    body = {**BODY, "lines": [{"sku": "KETTLE", "quantity": 1, "unit_price": 1}]}
    response = client.post("/api/v1/orders", json=body, headers=alice)
    assert response.status_code == 422  # unknown field, nothing trusted from the client


def test_idempotency_key_returns_the_first_order_and_emits_once(client, db, alice, bob):
    headers = {**alice, "Idempotency-Key": "k-" + uuid.uuid4().hex}
    first = client.post("/api/v1/orders", json=BODY, headers=headers)
    again = client.post("/api/v1/orders", json=BODY, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]
    assert len(outbox_events(db, "OrderPlaced")) == 1
    other_user = client.post("/api/v1/orders", json={**BODY, "address_id": "addr_bob"},
                             headers={**bob, "Idempotency-Key": headers["Idempotency-Key"]})
    assert other_user.status_code == 201 and other_user.json["id"] != first.json["id"]


def test_the_same_key_with_another_body_is_a_422_and_places_nothing(client, db, alice):
    headers = {**alice, "Idempotency-Key": "k-" + uuid.uuid4().hex}
    one_kettle = {**BODY, "lines": [{"sku": "KETTLE", "quantity": 1}]}
    first = client.post("/api/v1/orders", json=one_kettle, headers=headers)
    assert first.status_code == 201, first.json

    two_kettles = {**BODY, "lines": [{"sku": "KETTLE", "quantity": 2}]}
    for body in (two_kettles, {**one_kettle, "delivery_method": "standard"},
                 {**one_kettle, "coupon_code": "WELCOME"}):
        response = client.post("/api/v1/orders", json=body, headers=headers)
        assert response.status_code == 422, response.json
        assert response.content_type == "application/problem+json"
        assert response.json["type"] == "urn:shop:problem:idempotency-key-reused"
    assert count_orders(db) == 1
    assert len(outbox_events(db, "OrderPlaced")) == 1

    # The first request, sent again (its keys in another order), still replays.
    again = client.post("/api/v1/orders", data=json.dumps(dict(reversed(one_kettle.items()))),
                        headers={**headers, "Content-Type": "application/json"})
    assert again.status_code == 200 and again.json == first.json


def test_concurrent_identical_requests_with_one_key_place_one_order(app, db, alice):
    headers = {**alice, "Idempotency-Key": "k-" + uuid.uuid4().hex}
    start = threading.Barrier(8)
    answers: list = []

    def place() -> None:
        with app.test_client() as own_client:
            start.wait()
            response = own_client.post("/api/v1/orders", json=BODY, headers=headers)
            answers.append((response.status_code, response.json["id"]))

    threads = [threading.Thread(target=place) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len({order_id for _, order_id in answers}) == 1
    assert count_orders(db) == 1 and len(outbox_events(db, "OrderPlaced")) == 1


def test_the_openapi_document_names_the_key_and_its_422(client):
    operation = client.get("/openapi.json").json["paths"]["/api/v1/orders"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert "idempotency-key-reused" in operation["responses"]["422"]["description"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "delivery_method": "teleport"}, "delivery_method"),
        ({**BODY, "lines": []}, "lines"),
        ({**BODY, "lines": [{"sku": "KETTLE", "quantity": 0}]}, "lines.0.quantity"),
        ({**BODY, "lines": [{"sku": "KETTLE", "quantity": "2"}]}, "lines.0.quantity"),
        ({k: v for k, v in BODY.items() if k != "address_id"}, "address_id"),
        ({**BODY, "role": "admin"}, "role"),
    ],
)
def test_invalid_bodies_get_a_422_problem_naming_the_field_and_change_nothing(
        client, db, body, field, alice):
    response = client.post("/api/v1/orders", json=body, headers=alice)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["type"] == "urn:shop:problem:validation-error"
    assert field in [error["field"] for error in problem["errors"]]
    assert count_orders(db) == 0
    assert outbox_events(db) == []


def test_unknown_sku_is_a_422_problem_and_changes_nothing(client, db, alice):
    body = {**BODY, "lines": [{"sku": "KETTLE", "quantity": 1}, {"sku": "GHOST", "quantity": 1}]}
    response = client.post("/api/v1/orders", json=body, headers=alice)
    assert response.status_code == 422
    assert response.json["type"] == "urn:shop:problem:unknown-sku"
    assert response.json["skus"] == ["GHOST"]
    assert count_orders(db) == 0


def test_malformed_json_oversize_bodies_and_unknown_routes_are_4xx_problems(client, alice):
    malformed = client.post("/api/v1/orders", data="{oops", headers={
        **alice, "Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.content_type == "application/problem+json"

    huge = {**BODY, "address_id": "x" * (70 * 1024)}
    too_big = client.post("/api/v1/orders", data=json.dumps(huge), headers={
        **alice, "Content-Type": "application/json"})
    assert too_big.status_code == 413
    assert too_big.content_type == "application/problem+json"

    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404 and missing.json["status"] == 404

    wrong_method = client.delete("/api/v1/orders")
    assert wrong_method.status_code == 405
    assert wrong_method.content_type == "application/problem+json"


def test_anonymous_callers_are_refused(client, db):
    response = client.post("/api/v1/orders", json=BODY)
    assert response.status_code == 401
    assert response.json["type"] == "urn:shop:problem:unauthorized"
    assert count_orders(db) == 0


def test_users_see_only_their_own_orders(client, alice, bob):
    order_id = client.post("/api/v1/orders", json=BODY, headers=alice).json["id"]
    assert client.get(f"/api/v1/orders/{order_id}", headers=alice).status_code == 200
    assert client.get(f"/api/v1/orders/{order_id}", headers=bob).status_code == 404
    assert client.get("/api/v1/orders", headers=bob).json["items"] == []


def test_order_list_is_newest_first_and_paginated(client, alice):
    ids = [client.post("/api/v1/orders", json=BODY, headers=alice).json["id"] for _ in range(5)]
    first = client.get("/api/v1/orders?limit=2", headers=alice).json
    second = client.get(f"/api/v1/orders?limit=2&cursor={first['next_cursor']}",
                        headers=alice).json
    third = client.get(f"/api/v1/orders?limit=2&cursor={second['next_cursor']}",
                       headers=alice).json
    seen = [o["id"] for page in (first, second, third) for o in page["items"]]
    assert seen == list(reversed(ids))
    assert third["next_cursor"] is None
    assert client.get("/api/v1/orders?limit=1000", headers=alice).status_code == 422


@pytest.mark.parametrize("cursor", ["garbage", "ord_1", "x" * 600])
def test_a_malformed_cursor_is_a_422_naming_it_not_an_empty_page(client, alice, cursor):
    client.post("/api/v1/orders", json=BODY, headers=alice)
    response = client.get("/api/v1/orders", query_string={"cursor": cursor}, headers=alice)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == ["cursor"]


def test_health_readiness_and_metrics(client, alice):
    assert_ops_endpoints(client)
    client.post("/api/v1/orders", json=BODY, headers=alice)
    metrics = client.get("/metrics").get_data(as_text=True)
    expected = ('http_requests_total{method="POST",route="/api/v1/orders",service="order",'
                'status="201"}')
    assert expected in metrics
    assert 'business_events_total{event="OrderPlaced",service="order"}' in metrics


def test_openapi_document_describes_the_order_routes(client):
    spec = client.get("/openapi.json").json
    assert "/api/v1/orders" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/orders"]


def test_timestamps_are_utc(client, alice):
    order = client.post("/api/v1/orders", json=BODY, headers=alice).json
    created = datetime.fromisoformat(order["created_at"])
    assert created.utcoffset() == UTC.utcoffset(None)


def test_timestamps_read_back_from_the_database_are_utc(client, alice):
    order_id = client.post("/api/v1/orders", json=BODY, headers=alice).json["id"]
    order = client.get(f"/api/v1/orders/{order_id}", headers=alice).json
    for stamp in (order["created_at"], order["timeline"][0]["at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == UTC.utcoffset(None)


def test_catalog_price_changes_reprice_new_orders_and_old_events_are_ignored(client, db, alice):
    from datetime import timedelta

    from order.prices import record_prices

    at = datetime.now(UTC)
    with db.transaction() as session:
        record_prices(session, [{"sku": "KETTLE", "price": {"amount": 8800, "currency": "CNY"}},
                                {"sku": "NEW-SKU", "price": {"amount": 100, "currency": "CNY"}}],
                      at)
    with db.transaction() as session:  # an older event arrives late
        record_prices(session, [{"sku": "KETTLE", "price": {"amount": 9999, "currency": "CNY"}}],
                      at - timedelta(minutes=1))
    order = client.post("/api/v1/orders", headers=alice, json={
        **BODY, "lines": [{"sku": "KETTLE", "quantity": 1}, {"sku": "NEW-SKU", "quantity": 1}]})
    assert order.status_code == 201
    assert order.json["total"]["amount"] == 8800 + 100 + 2000  # express, under ¥99


def test_an_api_whose_migrations_have_not_run_is_not_ready(new_database):
    from order.app import create_app
    from order.definition import DEFINITION
    from service_runtime.migrate import upgrade

    url = new_database("unmigrated")
    app = create_app(database=url)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"]["migrations"].startswith("unavailable")
        upgrade(DEFINITION, url)
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200 and ready.json["checks"]["migrations"] == "ok"
    finally:
        app.extensions["db"].dispose()
