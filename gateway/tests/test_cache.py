"""The gateway's short-lived cache of anonymous public catalog answers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from flask import Flask, jsonify, request

from api_gateway import cache as cache_module
from api_gateway.app import create_app
from api_gateway.cache import ShortCache
from api_gateway.routes import SERVICES, Upstreams
from service_runtime.auth import jwks
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import free_port, served


class Catalog:
    """An upstream that counts what it was asked, with a stock level a test can change."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.stock = 5
        self.delay_s = 0.0
        self.reviews_up = True

    def app(self) -> Flask:
        app = Flask("catalog")

        @app.before_request
        def count() -> None:
            self.calls[request.full_path.rstrip("?")] += 1
            time.sleep(self.delay_s)

        @app.get("/api/v1/products")
        def products():  # type: ignore[no-untyped-def]
            return jsonify(items=[{"id": i, "available": self.stock} for i in (1, 2, 3)])

        @app.get("/api/v1/products/<int:product_id>")
        def product(product_id):  # type: ignore[no-untyped-def]
            if product_id == 404:
                return app.response_class('{"status":404}', status=404,
                                          mimetype="application/problem+json")
            return jsonify(id=product_id, category_id=7, available=self.stock)

        @app.get("/api/v1/products/<int:product_id>/reviews")
        def reviews(product_id):  # type: ignore[no-untyped-def]
            if not self.reviews_up:
                return app.response_class("{}", status=503, mimetype="application/json")
            return jsonify(items=[], summary={"count": 0})

        @app.get("/api/v1/orders")
        def orders():  # type: ignore[no-untyped-def]
            return jsonify(items=[])

        return app


@pytest.fixture
def catalog():
    upstream = Catalog()
    with served(upstream.app()) as url:
        upstream.url = url
        yield upstream


class SteppedClock:
    """The cache's clock, moved by the test: ages are exact however loaded the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def step(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> SteppedClock:  # type: ignore[no-untyped-def]
    """Every ShortCache made from now on reads this clock."""
    stepped = SteppedClock()
    monkeypatch.setattr(cache_module, "time", SimpleNamespace(monotonic=stepped))
    return stepped


def gateway_for(catalog: Catalog, signing_key, monkeypatch, ttl_ms: int = 1000):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GATEWAY_CACHE_TTL_MS", str(ttl_ms))
    urls = dict.fromkeys(SERVICES, f"http://127.0.0.1:{free_port()}") | {
        "catalog": catalog.url, "aftersales": catalog.url, "order": catalog.url}
    return create_app(config={"AUTH_JWKS": jwks(signing_key)},
                      upstreams=Upstreams(urls)).test_client()


@pytest.fixture
def gateway(catalog, signing_key, monkeypatch):
    return gateway_for(catalog, signing_key, monkeypatch)


def test_anonymous_catalog_reads_are_answered_once_a_second(gateway, catalog):
    first = gateway.get("/api/v1/products?limit=20")
    second = gateway.get("/api/v1/products?limit=20")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert catalog.calls["/api/v1/products?limit=20"] == 1
    assert first.headers["Cache-Control"] == "public, max-age=1"
    assert {"authorization", "x-cart-token"} <= {
        v.strip().lower() for v in first.headers["Vary"].split(",")}
    assert first.headers["ETag"] == second.headers["ETag"]
    assert "X-Request-ID" in second.headers, "a kept answer still names this request"
    gateway.get("/api/v1/products?limit=10")
    assert catalog.calls["/api/v1/products?limit=10"] == 1, "the query is part of the key"


def test_a_change_shows_once_the_answer_kept_is_a_second_old(catalog, signing_key,
                                                             monkeypatch, clock):
    gateway = gateway_for(catalog, signing_key, monkeypatch, ttl_ms=200)
    assert gateway.get("/api/v1/products/2").json["available"] == 5
    catalog.stock = 0
    assert gateway.get("/api/v1/products/2").json["available"] == 5
    clock.step(0.25)
    assert gateway.get("/api/v1/products/2").json["available"] == 0


@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/products/2"])
def test_a_page_in_use_is_refreshed_after_its_request_was_answered(catalog, signing_key,
                                                                   monkeypatch, path, clock):
    gateway = gateway_for(catalog, signing_key, monkeypatch, ttl_ms=400)
    assert gateway.get(path).status_code == 200
    catalog.stock = 0
    clock.step(0.32)  # past REFRESH_AT, not yet expired
    kept = gateway.get(path).text.replace(" ", "")
    assert '"available":5' in kept, "the answer kept, while it is fetched again"
    deadline = time.monotonic() + 5
    while '"available":0' not in gateway.get(path).text.replace(" ", ""):
        assert time.monotonic() < deadline, "the refresh never landed"
        time.sleep(0.01)
    assert catalog.calls[path] == 2


def test_an_encoded_question_mark_in_an_id_is_not_another_paths_query(gateway):
    assert gateway.get("/api/v1/products/2?x").status_code == 200
    assert gateway.get("/api/v1/products/2%3Fx").status_code == 404, "the id is '2?x'"


def test_an_unchanged_answer_is_a_304_to_if_none_match(gateway):
    etag = gateway.get("/api/v1/products").headers["ETag"]
    again = gateway.get("/api/v1/products", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = gateway.get("/api/v1/products", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.json["items"]


@pytest.mark.parametrize("header", ["Authorization", "X-Cart-Token"])
def test_requests_with_a_token_always_get_an_answer_of_their_own(gateway, catalog,
                                                                 signing_key, header):
    headers = bearer(signing_key, "alice") if header == "Authorization" else {
        "X-Cart-Token": "t" * 43}
    for _ in range(2):
        answer = gateway.get("/api/v1/products", headers=headers)
        assert answer.status_code == 200
        assert "public" not in answer.headers.get("Cache-Control", "")
    assert catalog.calls["/api/v1/products"] == 2


def test_only_public_catalog_reads_that_succeeded_are_kept(gateway, catalog):
    for _ in range(2):
        assert gateway.get("/api/v1/products/404").status_code == 404
        assert gateway.get("/api/v1/orders").status_code == 200
    assert catalog.calls["/api/v1/products/404"] == 2
    assert catalog.calls["/api/v1/orders"] == 2


def test_concurrent_misses_ask_upstream_once(gateway, catalog):
    catalog.delay_s = 0.2
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: gateway.get("/api/v1/products"), range(8)))
    assert {a.status_code for a in answers} == {200}
    assert catalog.calls["/api/v1/products"] == 1


def test_product_pages_of_a_category_share_its_best_sellers(gateway, catalog):
    for product_id in (1, 2, 3):
        page = gateway.get(f"/api/v1/products/{product_id}")
        assert page.status_code == 200 and page.json["degraded"] == []
        assert product_id not in [item["id"] for item in page.json["recommendations"]]
    assert catalog.calls["/api/v1/products?category=7&sort=sales&limit=7"] == 1


def test_a_degraded_product_page_is_not_kept(gateway, catalog):
    catalog.reviews_up = False
    first = gateway.get("/api/v1/products/2")
    assert first.json["degraded"] == ["reviews"]
    assert first.headers["Cache-Control"] == "no-store"
    catalog.reviews_up = True
    assert gateway.get("/api/v1/products/2").json["degraded"] == []
    assert catalog.calls["/api/v1/products/2"] == 2


def test_a_value_in_use_is_fetched_again_in_the_background_before_it_expires():
    clock = SteppedClock()
    cache = ShortCache(ttl_s=0.4, max_entries=10, wait_s=5, clock=clock)
    fetched = []
    release = threading.Event()

    def fetch(value: str, wait: bool = False):  # type: ignore[no-untyped-def]
        fetched.append(value)
        if wait:
            release.wait(5)
        return value, True

    assert cache.get("k", lambda: fetch("old")) == "old"
    clock.step(0.32)  # past REFRESH_AT, not yet expired
    assert cache.get("k", lambda: fetch("new", wait=True)) == "old", "nobody waits for it"
    assert cache.get("k", lambda: fetch("unwanted")) == "old", "one refresh at a time"
    release.set()
    deadline = time.monotonic() + 5
    while cache.get("k", lambda: fetch("unwanted")) != "new":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert fetched == ["old", "new"]


def test_nobody_waits_for_a_refresh_still_queued_behind_others():
    clock = SteppedClock()
    cache = ShortCache(ttl_s=0.2, max_entries=10, wait_s=5, clock=clock)
    release = threading.Event()

    def stuck():  # type: ignore[no-untyped-def]
        release.wait(5)
        return "late", True

    try:
        for key in ("a", "b", "c", "d", "k"):
            cache.get(key, lambda: ("old", True))
        clock.step(0.16)  # past REFRESH_AT: every refresher busy, then k's refresh queued
        for key in ("a", "b", "c", "d", "k"):
            assert cache.get(key, stuck) == "old"
        clock.step(0.05)  # k expired, its refresh still waiting for a refresher
        started = time.monotonic()
        assert cache.get("k", lambda: ("fetched", True)) == "fetched"
        assert time.monotonic() - started < 1
    finally:
        release.set()


def test_an_expired_value_is_never_given():
    clock = SteppedClock()
    cache = ShortCache(ttl_s=0.1, max_entries=10, wait_s=5, clock=clock)
    assert cache.get("k", lambda: ("old", True)) == "old"
    clock.step(0.12)
    assert cache.get("k", lambda: ("new", True)) == "new"


def test_the_cache_is_bounded_least_recently_used_leave_first():
    cache = ShortCache(ttl_s=60, max_entries=2, wait_s=1)
    calls = Counter()

    def fetch(key: str):  # type: ignore[no-untyped-def]
        calls[key] += 1
        return key, True

    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get(key, lambda key=key: fetch(key))
    assert calls == {"a": 1, "b": 2, "c": 1}
