"""The behaviour events the storefront sends (``POST /api/v1/track``) for what a shopper
does in its pages, against a stand-in for the gateway: which events, whose, in which
visit; and that an analytics which fails or hangs costs the page nothing."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import requests

from shop_web import gateway_client
from shop_web.app import create_app
from shop_web.tracking import VISIT_COOKIE

ORDER_ID = "ord_0123456789abcdef012345"
PRODUCT = {"id": 7, "name": "米家电水壶", "brand": "小米", "images": [], "reviews": None,
           "skus": [{"sku": "KETTLE-1", "attributes": {}, "available": 5,
                     "price": {"amount": 9900, "currency": "CNY"}}]}
CART = {"lines": [{"sku": "KETTLE-1", "product_id": 7, "quantity": 2, "in_stock": True,
                   "unit_price": {"amount": 9900, "currency": "CNY"}}]}
ORDER = {"id": ORDER_ID, "status": "awaiting_payment", "campaign": None,
         "total": {"amount": 19800, "currency": "CNY"}, "timeline": [], "lines": [],
         "payment": {}}
TOKEN = jwt.encode({"sub": "usr_1", "roles": []}, "k" * 32, algorithm="HS256")


class FakeApi:
    """The gateway's answers to the pages' API calls, by ``METHOD path`` or by path."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {
            "/products/7": PRODUCT, "/promotions": {"items": []}, "/group-buys": {"items": []},
            "/flash-sales": {"items": []}, "/categories": {"items": []},
            "/products": {"items": [], "facets": {}, "next_cursor": None},
            "/search/suggest": {"items": []},
            "/cart": CART, "POST /cart/items": CART, "DELETE /cart/items/KETTLE-1": None,
            "POST /orders": {**ORDER, "status": "awaiting_payment"},
            f"/orders/{ORDER_ID}": ORDER, "/payments": [],
            "POST /payments": {"status": "succeeded"}, "/wallet": {"balance": None}}
        self.refusals: dict[str, gateway_client.ApiProblem] = {}

    def __call__(self, method: str, path: str, **_: Any) -> Any:
        key = f"{method} {path}"
        if key in self.refusals:
            raise self.refusals[key]
        return self.answers[key] if key in self.answers else self.answers[path]


class FakeAnalytics:
    """Stands in for the gateway's HTTP session on the tracker's ``POST /track``."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[dict[str, Any]], dict[str, str]]] = []
        self.failure: Exception | None = None

    def post(self, url: str, *, json: Any, headers: dict[str, str], **_: Any) -> Any:
        assert url.endswith("/api/v1/track")
        if self.failure is not None:
            raise self.failure
        self.batches.append((json["events"], headers))
        answer = requests.Response()
        answer.status_code = 202
        return answer


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setattr(gateway_client, "call", FakeApi())
    return create_app({"TESTING": True})


@pytest.fixture
def analytics(app) -> FakeAnalytics:
    fake = FakeAnalytics()
    app.extensions["shop_gateway"].http = fake
    return fake


@pytest.fixture
def client(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["access_token"] = TOKEN
    return client


def sent(app, analytics: FakeAnalytics) -> list[dict[str, Any]]:
    app.extensions["shop_tracker"].drain()
    return [event for events, _headers in analytics.batches for event in events]


def test_a_product_view_and_a_search_are_the_shopper_s_in_one_visit(app, analytics, client):
    assert client.get("/products/7").status_code == 200
    visit = client.get_cookie(VISIT_COOKIE).value
    assert client.get("/search?q=水壶").status_code == 200
    view, search = sent(app, analytics)
    assert (view["type"], view["product_id"], view["path"]) == ("page_view", 7, "/products/7")
    assert (search["type"], search["props"]) == ("search", {"query": "水壶"})
    assert view["session_id"] == search["session_id"] == visit, "one visit across pages"
    assert view["event_id"] != search["event_id"]
    assert all(headers["Authorization"] == f"Bearer {TOKEN}" for _, headers in analytics.batches)


def test_the_visit_outlasts_signing_out(app, analytics, client):
    client.get("/products/7")
    with client.session_transaction() as session:
        session.clear()
    client.get("/products/7")
    first, second = sent(app, analytics)
    assert first["session_id"] == second["session_id"]
    assert "Authorization" not in analytics.batches[1][1], "a guest's events are anonymous"


def test_redrawing_the_buy_box_or_loading_more_results_is_no_new_event(app, analytics, client):
    client.get("/products/7?sku=KETTLE-1", headers={"HX-Request": "true", "HX-Target": "buy"})
    client.get("/search?q=水壶&cursor=abc")
    client.get("/search")
    assert sent(app, analytics) == []


def test_adding_to_the_cart_names_the_product_sku_and_quantity(app, analytics, client):
    client.post("/cart/items", data={"sku": "KETTLE-1", "quantity": "2"})
    client.post("/cart/items/KETTLE-1/remove")
    added, removed = sent(app, analytics)
    assert (added["type"], added["product_id"]) == ("add_to_cart", 7)
    assert added["props"] == {"sku": "KETTLE-1", "quantity": 2}
    assert (removed["type"], removed["props"]) == ("remove_from_cart", {"sku": "KETTLE-1"})


def test_a_refused_add_to_cart_is_no_add_to_cart(app, analytics, client):
    gateway_client.call.refusals["POST /cart/items"] = gateway_client.ApiProblem(
        409, "Not enough", type="urn:shop:problem:insufficient-stock")
    client.post("/cart/items", data={"sku": "KETTLE-1", "quantity": "2"})
    assert sent(app, analytics) == []


def test_placing_an_order_viewing_the_payment_page_and_paying(app, analytics, client):
    placed = client.post("/checkout", data={"address_id": "adr_1", "delivery_method":
                                            "standard", "payment_method": "balance"})
    assert placed.status_code == 303
    client.get(f"/orders/{ORDER_ID}/pay")
    client.post(f"/orders/{ORDER_ID}/pay", data={"payment_method": "alipay"})
    click, page, pay = sent(app, analytics)
    assert (click["type"], click["name"], click["props"]) == (
        "click", "place_order", {"order_id": ORDER_ID})
    assert (page["type"], page["name"], page["path"]) == (
        "page_view", "payment", f"/orders/{ORDER_ID}/pay")
    assert (pay["type"], pay["name"], pay["props"]) == (
        "click", "pay", {"order_id": ORDER_ID, "method": "alipay"})


def test_a_refused_payment_is_an_error_event(app, analytics, client):
    gateway_client.call.refusals["POST /payments"] = gateway_client.ApiProblem(
        409, "Short", type="urn:shop:problem:insufficient-balance")
    client.post(f"/orders/{ORDER_ID}/pay", data={"payment_method": "balance"})
    _pay, refused = sent(app, analytics)
    assert (refused["type"], refused["name"]) == ("error", "payment_refused")
    assert refused["props"]["problem"] == "insufficient-balance"


def test_an_unreachable_analytics_costs_the_page_nothing(app, analytics, client, caplog):
    analytics.failure = requests.ConnectionError("refused")
    with caplog.at_level(logging.WARNING, logger="shop_web.tracking"):
        answer = client.get("/products/7")
        app.extensions["shop_tracker"].drain()
    assert answer.status_code == 200 and "米家电水壶" in answer.get_data(as_text=True)
    assert "behaviour events not sent" in caplog.text


def test_the_page_is_answered_before_its_events_are_sent(app, client):
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    class HangingAnalytics(FakeAnalytics):
        def post(self, url: str, **kwargs: Any) -> Any:
            started.set()
            release.wait(10)
            finished.set()
            return super().post(url, **kwargs)

    app.extensions["shop_gateway"].http = HangingAnalytics()
    assert client.get("/products/7").status_code == 200
    assert started.wait(10)
    assert not finished.is_set(), "the page did not wait for analytics"
    release.set()
    app.extensions["shop_tracker"].drain()


EXITING_WORKER = """
import sys
from shop_web.gateway_client import Gateway
from shop_web.tracking import Batch, Tracker

tracker = Tracker(Gateway(sys.argv[1], (1.0, 1.0), 2))
for number in range(20):
    tracker.submit(Batch([{"type": "page_view", "n": number}], {}))
sys.exit(0)  # as a stopping gunicorn worker ends, with its batches still queued
"""


def test_a_stopping_worker_sends_its_queued_batches_first(tmp_path):
    """A worker that exits (a deploy) sends what it still holds before it goes, within
    EXIT_DRAIN_S, instead of dropping it with its daemon sender."""
    received: list[int] = []

    class SlowAnalytics(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(0.02)  # each batch takes a moment: most are still queued at exit
            received.extend(event["n"] for event in body["events"])
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowAnalytics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        script = tmp_path / "worker.py"
        script.write_text(EXITING_WORKER)
        finished = subprocess.run(
            [sys.executable, str(script), f"http://127.0.0.1:{server.server_port}"],
            capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
    assert finished.returncode == 0, finished.stderr
    assert sorted(received) == list(range(20))
