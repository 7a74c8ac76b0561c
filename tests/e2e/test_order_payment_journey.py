"""The first slice, driven only through the gateway's HTTP API, as a client app would."""

from __future__ import annotations

import json
import uuid

from e2e_steps import default_address_id, sign_up, start_payment, wait_for_status
from service_runtime.testing.kafka_tools import read_topic
from service_runtime.testing.processes import wait_until

ORDER = {"delivery_method": "express",
         "lines": [{"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 1},
                   {"sku": "MUG-CERAMIC-350ML", "quantity": 2}]}


def order_body(stack, http, headers: dict) -> dict:
    return {**ORDER, "address_id": default_address_id(stack, http, headers)}


def test_an_order_is_placed_paid_and_becomes_paid(stack, http):
    shopper = sign_up(stack, "payer")  # a wallet no other test spends from
    correlation = "e2e-" + uuid.uuid4().hex[:8]
    key = uuid.uuid4().hex
    body = order_body(stack, http, shopper)
    placed = http.post(stack.url("/api/v1/orders"), json=body, headers={
        **shopper, "Idempotency-Key": key, "X-Correlation-ID": correlation})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "pending"
    assert order["total"] == {"amount": 9900 + 2 * 2500, "currency": "CNY"}

    retried = http.post(stack.url("/api/v1/orders"), json=body,
                        headers={**shopper, "Idempotency-Key": key})
    assert retried.status_code == 200 and retried.json()["id"] == order["id"]

    wait_for_status(stack, http, order["id"], shopper, "awaiting_payment")
    paid = start_payment(stack, http, shopper, order["id"], "balance")  # asserts a 201
    assert paid["amount"] == order["total"]

    def status():
        order_url = stack.url(f"/api/v1/orders/{order['id']}")
        return http.get(order_url, headers=shopper).json()["status"]

    wait_until(lambda: status() == "paid", 60, 0.2, "the order to become paid")
    final = http.get(stack.url(f"/api/v1/orders/{order['id']}"), headers=shopper).json()
    assert [entry["status"] for entry in final["timeline"]] == [
        "pending", "awaiting_payment", "paid"]

    again = http.post(stack.url("/api/v1/payments"), headers=shopper,
                      json={"order_id": order["id"], "method": "balance"})
    assert again.status_code == 409
    wallet = http.get(stack.url("/api/v1/wallet"), headers=shopper).json()
    assert [e["amount"] for e in wallet["ledger"] if e["kind"] == "payment"] == [-14900]
    assert wallet["balance"]["amount"] == 100_000 - 14900

    placed_events = [json.loads(r.value) for r in read_topic(stack.kafka, "OrderPlaced")]
    mine = [e for e in placed_events if e["key"] == order["id"]]
    assert len(mine) == 1, "one OrderPlaced per order, even with a retried request"
    assert mine[0]["correlation_id"] == correlation


def test_other_users_cannot_see_or_pay_an_order(stack, http, alice, bob):
    order = http.post(stack.url("/api/v1/orders"), json=order_body(stack, http, alice),
                      headers=alice).json()
    assert http.get(stack.url(f"/api/v1/orders/{order['id']}"), headers=bob).status_code == 404
    wait_until(lambda: http.get(stack.url("/api/v1/wallet"), headers=alice).ok, 10)
    bob_pays = http.post(stack.url("/api/v1/payments"), headers=bob,
                         json={"order_id": order["id"], "method": "balance"})
    assert bob_pays.status_code == 404


def test_bad_input_is_a_problem_through_the_gateway(stack, http, alice, bob):
    bad = http.post(stack.url("/api/v1/orders"), headers=alice,
                    json={**order_body(stack, http, alice),
                          "lines": [{"sku": "KETTLE-MI-1.7L-WHITE", "quantity": -1}]})
    assert bad.status_code == 422
    assert bad.headers["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "lines.0.quantity"
    malformed = http.post(stack.url("/api/v1/orders"), headers={
        **alice, "Content-Type": "application/json"}, data="{")
    assert malformed.status_code == 400
    nowhere = http.get(stack.url("/api/v1/teleporters"))
    assert nowhere.status_code == 404
    assert nowhere.headers["Content-Type"] == "application/problem+json"


def test_every_process_reports_health_readiness_and_metrics(stack, http, alice, bob):
    for base in [stack.gateway, *stack.api_urls.values(), *stack.worker_urls.values()]:
        assert http.get(f"{base}/healthz").json() == {"status": "ok"}
        assert http.get(f"{base}/readyz").status_code == 200, base
        assert http.get(f"{base}/metrics").status_code == 200

    http.post(stack.url("/api/v1/orders"), json=order_body(stack, http, alice), headers=alice)
    api_metrics = http.get(f"{stack.api_urls['order']}/metrics").text
    assert 'route="/api/v1/orders"' in api_metrics
    assert "http_request_duration_seconds_bucket" in api_metrics

    def worker_metrics(service):
        return http.get(f"{stack.worker_urls[service]}/metrics").text

    wait_until(lambda: 'messages_consumed_total{group="payment",service="payment",'
                       'topic="OrderPlaced"}' in worker_metrics("payment"), 30)
    order_worker = worker_metrics("order")
    assert 'outbox_published_total{service="order",topic="OrderPlaced"}' in order_worker
    assert "outbox_backlog_messages" in order_worker
    assert "outbox_oldest_unpublished_age_seconds" in order_worker
    assert "consumer_lag_messages" in worker_metrics("payment")


def test_the_gateway_serves_one_merged_openapi_document(stack, http):
    document = http.get(stack.url("/openapi.json")).json()
    assert "/api/v1/orders" in document["paths"]
    assert "/api/v1/payments" in document["paths"]
    assert "/api/v1/wallet" in document["paths"]
    assert "x-unavailable-services" not in document


def test_metrics_add_up_across_gunicorn_worker_processes(stack):
    """The order API runs 2 gunicorn workers; /metrics counts the requests of both."""
    import re

    import requests

    base = stack.api_urls["order"]
    pattern = re.compile(r'http_requests_total\{method="GET",route="/healthz",'
                         r'service="order",status="200"\} ([0-9.e+]+)')

    def healthz_count() -> float:
        match = pattern.search(requests.get(f"{base}/metrics").text)
        return float(match.group(1)) if match else 0.0

    before = healthz_count()
    for _ in range(40):
        # A new connection each time, so gunicorn spreads them over its workers.
        requests.get(f"{base}/healthz", headers={"Connection": "close"})
    assert healthz_count() - before == 40
    writers = {path.name for path in stack.metrics_dirs["order"].glob("counter_*.db")}
    assert len(writers) >= 2, f"more than one worker process counted: {writers}"
