"""The product page's recommendations come from analytics when it knows the product, and
from the category's best sellers when it does not, is down or is slow; a product's
recommendations are a public read of analytics, kept like the catalog's."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from flask import Flask, jsonify, request

from api_gateway.app import create_app
from api_gateway.routes import SERVICES, Upstreams
from service_runtime.auth import jwks
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import free_port, served


class Shop:
    """Catalog, after-sales and analytics in one upstream, counting what each was asked."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.analytics = "knows"  # or "fallback", "down", "slow"

    def app(self) -> Flask:
        app = Flask("shop")

        @app.before_request
        def count() -> None:
            self.calls[request.path] += 1

        @app.get("/api/v1/products")
        def products():  # type: ignore[no-untyped-def]
            return jsonify(items=[{"id": i} for i in (1, 2, 3)])

        @app.get("/api/v1/products/<int:product_id>")
        def product(product_id):  # type: ignore[no-untyped-def]
            return jsonify(id=product_id, name="kettle", category_id=7)

        @app.get("/api/v1/products/<int:product_id>/reviews")
        def reviews(product_id):  # type: ignore[no-untyped-def]
            return jsonify(items=[], summary={"count": 0})

        @app.get("/api/v1/products/<int:product_id>/recommendations")
        def recommendations(product_id):  # type: ignore[no-untyped-def]
            if self.analytics == "down":
                return app.response_class("{}", status=503, mimetype="application/json")
            if self.analytics == "slow":
                time.sleep(2)
            def item(i):  # type: ignore[no-untyped-def]
                return {"id": i, "name": f"p{i}", "price": {"amount": 100, "currency": "CNY"}}
            return jsonify(product_id=product_id, fallback=self.analytics == "fallback",
                           bought_together=[item(9)],
                           viewed_together=[item(8), item(product_id), item(9)],
                           similar=[item(i) for i in range(10, 20)])

        @app.get("/api/v1/users/me/recommendations")
        def mine():  # type: ignore[no-untyped-def]
            return jsonify(source="personal", items=[{"id": 4}],
                           auth=request.headers.get("Authorization"))

        return app


@pytest.fixture
def shop():
    upstream = Shop()
    with served(upstream.app()) as url:
        upstream.url = url
        yield upstream


@pytest.fixture
def gateway(shop, signing_key, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GATEWAY_CACHE_TTL_MS", "60000")  # kept answers stay for the test
    urls = dict.fromkeys(SERVICES, f"http://127.0.0.1:{free_port()}") | {
        name: shop.url for name in ("catalog", "aftersales", "analytics")}
    return create_app(config={"AUTH_JWKS": jwks(signing_key)},
                      upstreams=Upstreams(urls)).test_client()


def test_the_page_recommends_what_analytics_answers(gateway, shop):
    page = gateway.get("/api/v1/products/2")
    assert page.status_code == 200 and page.json["degraded"] == []
    # Bought together, viewed together, similar: each once, never the page's own, six.
    assert [item["id"] for item in page.json["recommendations"]] == [9, 8, 10, 11, 12, 13]
    assert page.json["recommendations"][0]["name"] == "p9"
    assert shop.calls["/api/v1/products"] == 0, "no best sellers needed"


@pytest.mark.parametrize("analytics", ["fallback", "down", "slow"])
def test_without_analytics_the_page_recommends_the_best_sellers(gateway, shop, analytics):
    shop.analytics = analytics
    page = gateway.get("/api/v1/products/2")
    assert page.status_code == 200
    assert page.json["degraded"] == [], "best sellers stand in: nothing is missing"
    assert [item["id"] for item in page.json["recommendations"]] == [1, 3]
    assert shop.calls["/api/v1/products"] == 1


def test_a_products_recommendations_are_analytics_and_kept_for_anonymous_callers(
        gateway, shop, signing_key):
    path = "/api/v1/products/5/recommendations"
    first, second = gateway.get(path), gateway.get(path)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json and first.json["product_id"] == 5
    assert shop.calls[path] == 1, "a public read: the second was kept"
    assert gateway.get(path, headers=bearer(signing_key, "alice")).status_code == 200
    assert shop.calls[path] == 2, "a signed-in caller gets an answer of their own"


def test_ones_own_recommendations_reach_analytics_with_the_token(gateway, shop, signing_key):
    token = bearer(signing_key, "alice")
    answer = gateway.get("/api/v1/users/me/recommendations", headers=token)
    assert answer.status_code == 200
    assert answer.json["auth"] == token["Authorization"]
    assert shop.calls["/api/v1/users/me/recommendations"] == 1
