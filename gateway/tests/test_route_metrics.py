"""The gateway's metrics per upstream service and route template, against real upstream
HTTP servers on loopback: templates from the services' OpenAPI documents, unknown paths
in one ``other`` series, timeouts and unreachable services counted by service."""

from __future__ import annotations

import time

import pytest
from flask import Flask, jsonify
from prometheus_client import REGISTRY

from api_gateway.app import create_app
from api_gateway.route_metrics import OTHER_ROUTE, RouteTemplates
from api_gateway.routes import SERVICES, Upstreams
from service_runtime.testing.processes import free_port, served


def test_a_path_matches_the_most_specific_template():
    templates = RouteTemplates(["/api/v1/orders", "/api/v1/orders/{order_id}",
                                "/api/v1/orders/preview", "/api/v1/orders/{order_id}/cancel",
                                "/api/v1/a.b/{x}"])
    assert templates.route("/api/v1/orders") == "/api/v1/orders"
    assert templates.route("/api/v1/orders/ord_1") == "/api/v1/orders/{order_id}"
    assert templates.route("/api/v1/orders/preview") == "/api/v1/orders/preview"
    assert templates.route("/api/v1/orders/ord_1/cancel") == "/api/v1/orders/{order_id}/cancel"
    assert templates.route("/api/v1/orders/ord_1/refund") == OTHER_ROUTE
    assert templates.route("/api/v1/orders/") == OTHER_ROUTE
    # A template's literal text is literal: "." is not any character.
    assert templates.route("/api/v1/aXb/1") == OTHER_ROUTE
    assert templates.route("/api/v1/a.b/1") == "/api/v1/a.b/{x}"


def order_service() -> Flask:
    app = Flask("order-upstream")

    @app.get("/api/v1/orders/<order_id>")
    def order(order_id):
        if order_id == "slow":
            time.sleep(1.5)
        if order_id == "broken":
            return jsonify(error="boom"), 500
        return jsonify(order_id=order_id)

    @app.get("/openapi.json")
    def openapi():
        return jsonify(openapi="3.0.3", paths={
            "/api/v1/orders": {"get": {"responses": {}}},
            "/api/v1/orders/{order_id}": {"get": {"responses": {}}},
            "/internal/orders/{order_id}": {"get": {"responses": {}}},
        })

    return app


@pytest.fixture
def gateway(monkeypatch):
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_MS", "500")
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("WEB_SERVICE_URL", dead)
    with served(order_service()) as order_url:
        urls = {name: dead for name in SERVICES} | {"order": order_url}
        app = create_app(upstreams=Upstreams(urls))
        client = client_with_templates(app)
        yield client


def client_with_templates(app: Flask):
    client = app.test_client()
    client.get("/healthz")  # the first request starts loading the templates in background
    templates: RouteTemplates = app.extensions["route_templates"]
    assert templates.load is not None
    templates.refresh(templates.load)  # and now, so the test does not wait for it
    return client


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_are_counted_by_service_and_route_template(gateway):
    route = "/api/v1/orders/{order_id}"
    ok = dict(service="order", method="GET", route=route, status="200")
    failed = ok | {"status": "500"}
    before_ok, before_failed = count("gateway_requests_total", **ok), count(
        "gateway_requests_total", **failed)
    before_latency = count("gateway_request_duration_seconds_count", service="order",
                           method="GET", route=route)
    for order_id in ("ord_1", "ord_2", "ord_3"):
        assert gateway.get(f"/api/v1/orders/{order_id}").status_code == 200
    assert gateway.get("/api/v1/orders/broken").status_code == 500
    assert count("gateway_requests_total", **ok) == before_ok + 3
    assert count("gateway_requests_total", **failed) == before_failed + 1
    assert count("gateway_request_duration_seconds_count", service="order", method="GET",
                 route=route) == before_latency + 4


def test_unknown_paths_fall_into_one_series(gateway):
    other = dict(service="order", method="GET", route=OTHER_ROUTE, status="404")
    nowhere = dict(service="none", method="GET", route=OTHER_ROUTE, status="404")
    before, before_nowhere = count("gateway_requests_total", **other), count(
        "gateway_requests_total", **nowhere)
    for n in range(20):
        gateway.get(f"/api/v1/orders/ord_{n}/no/such/thing/{n}")
        gateway.get(f"/api/v1/nothing-{n}")
    assert count("gateway_requests_total", **other) == before + 20
    assert count("gateway_requests_total", **nowhere) == before_nowhere + 20
    routes = {sample.labels["route"] for metric in REGISTRY.collect()
              if metric.name == "gateway_requests" for sample in metric.samples}
    assert not any("no/such" in route or "nothing-" in route for route in routes)
    # A service's internal paths are not the gateway's routes.
    assert "/internal/orders/{order_id}" not in routes


def test_timeouts_and_unreachable_services_are_counted_by_service(gateway):
    timeouts = count("gateway_upstream_failures_total", service="order", reason="timeout")
    down = count("gateway_upstream_failures_total", service="payment", reason="unavailable")
    assert gateway.get("/api/v1/orders/slow").status_code == 504
    assert gateway.get("/api/v1/payments/pay_1").status_code == 503
    assert count("gateway_upstream_failures_total", service="order",
                 reason="timeout") == timeouts + 1
    assert count("gateway_upstream_failures_total", service="payment",
                 reason="unavailable") == down + 1
    assert count("gateway_requests_total", service="payment", method="GET", route=OTHER_ROUTE,
                 status="503") >= 1


def test_pages_are_counted_as_the_web_service(gateway):
    before = count("gateway_requests_total", service="web", method="GET", route="pages",
                   status="503")
    gateway.get("/some/page")
    gateway.get("/admin/orders/1")
    assert count("gateway_requests_total", service="web", method="GET", route="pages",
                 status="503") == before + 2


def test_failure_counters_exist_before_the_first_failure(gateway):
    # Every upstream's counters are exported at once: rate() then counts the first failure.
    for service in ("cart", "web"):
        for reason in ("timeout", "unavailable"):
            assert REGISTRY.get_sample_value("gateway_upstream_failures_total",
                                             {"service": service, "reason": reason}) is not None
