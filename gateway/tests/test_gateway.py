"""The gateway against real upstream HTTP servers on loopback."""

from __future__ import annotations

import time

import pytest
from flask import Flask, jsonify, request

from api_gateway.app import create_app
from api_gateway.routes import SERVICES, Upstreams, service_for
from service_runtime.auth import jwks
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import free_port, served


@pytest.mark.parametrize(("path", "service"), [
    ("/api/v1/orders", "order"),
    ("/api/v1/orders/ord_1", "order"),
    ("/api/v1/orders/ord_1/tracking", "logistics"),
    ("/api/v1/payments/pay_1", "payment"),
    ("/api/v1/wallet", "payment"),
    ("/api/v1/auth/login", "user"),
    ("/api/v1/products/p1/reviews", "aftersales"),
    ("/api/v1/products/p1", "catalog"),
    ("/api/v1/admin/returns/r1/approve", "aftersales"),
    ("/api/v1/admin/tickets", "aftersales"),
    ("/api/v1/tickets/t1/messages", "aftersales"),
    ("/api/v1/reviews", "aftersales"),
    ("/api/v1/admin/reconciliation", "payment"),
    ("/api/v1/payments/callbacks/alipay", "payment"),
    ("/api/v1/payments/sandbox/alipay/pay_1", "payment"),
    ("/api/v1/wallet/top-ups", "payment"),
    ("/api/v1/admin/shipments/shp_1/ship", "logistics"),
    ("/api/v1/logistics/callbacks/sf", "logistics"),
    ("/api/v1/orders/ord_1/cancel", "order"),
    ("/api/v1/ordersx", None),
    ("/api/v1/unknown", None),
    ("/api/v1/users/me/coupons", "marketing"),
    ("/api/v1/users/me/membership", "user"),
    ("/api/v1/coupons/cpt_1/claim", "marketing"),
    ("/api/v1/promotions", "marketing"),
    ("/api/v1/admin/marketing/stats", "marketing"),
    ("/api/v1/admin/coupons/cpt_1/issue", "marketing"),
    ("/api/v1/checkout/preview", "order"),
    ("/api/v1/admin/risk/flags", "analytics"),
    ("/api/v1/admin/risk/flags/rsk_1/resolve", "analytics"),
    ("/api/v1/admin/riskier", None),
    ("/api/v1/products/p1/recommendations", "analytics"),
    ("/api/v1/products/p1/recommendationsx", "catalog"),
    ("/api/v1/users/me/recommendations", "analytics"),
    ("/internal/pricing/quote", None),
])
def test_paths_route_to_their_service(path, service):
    assert service_for(path) == service


def echo_app() -> Flask:
    app = Flask("echo")

    @app.route("/api/v1/orders", methods=["GET", "POST"])
    def orders():
        return jsonify(method=request.method, args=request.args, body=request.get_json(silent=True),
                       headers={k: v for k, v in request.headers.items()}), 201

    @app.get("/api/v1/products/<product_id>")
    def product(product_id):
        if product_id == "404":
            return app.response_class('{"type":"urn:shop:problem:not-found","status":404}',
                                      status=404, mimetype="application/problem+json")
        return jsonify(id=int(product_id), name="kettle", category_id=7,
                       skus=[{"sku": "K", "available": 3}])

    @app.get("/api/v1/products")
    def products():
        assert request.args["category"] == "7"
        return jsonify(items=[{"id": i} for i in (1, 2, 3)])

    @app.get("/api/v1/products/<product_id>/reviews")
    def reviews(product_id):
        return jsonify(items=[{"rating": 5, "text": "好用"}], summary={"count": 1})

    @app.post("/api/v1/auth/login")
    def login():
        return jsonify(ok=True)

    @app.get("/api/v1/orders/slow")
    def slow():
        time.sleep(2)
        return jsonify(ok=True)

    @app.get("/api/v1/orders/<path:order_id>")
    def order(order_id):
        return jsonify(order_id=order_id, args=request.args)

    @app.get("/api/v1/orders/problem")
    def problem():
        return app.response_class('{"type":"urn:shop:problem:x","status":409}', status=409,
                                  mimetype="application/problem+json")

    @app.route("/", methods=["GET", "POST"])
    @app.route("/cart", methods=["GET", "POST"])
    def page():
        cookie = request.headers.get("Cookie", "none")
        response = app.response_class(f"<h1>page {request.path}</h1><p>{cookie}</p>",
                                      mimetype="text/html")
        response.set_cookie("shop_session", "abc", httponly=True)
        response.set_cookie("lang", "en")
        return response

    @app.get("/openapi.json")
    def openapi():
        return jsonify(openapi="3.0.3", paths={"/api/v1/orders": {"get": {"responses": {
            "default": {"$ref": "#/components/responses/DEFAULT_ERROR"}}}}, "/healthz": {}},
            components={"responses": {"DEFAULT_ERROR": {"description": "err", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
                        "schemas": {"Order": {"type": "object"}, "Problem": {"type": "object"}}})

    return app


@pytest.fixture
def upstream():
    with served(echo_app()) as url:
        yield url


@pytest.fixture
def gateway(upstream, monkeypatch, signing_key):
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_MS", "500")
    monkeypatch.setenv("AUTH_RATE_LIMIT", "5/minute")
    monkeypatch.setenv("WEB_SERVICE_URL", upstream)
    dead = f"http://127.0.0.1:{free_port()}"
    urls = {name: dead for name in SERVICES} | {
        "order": upstream, "user": upstream, "catalog": upstream}
    app = create_app(config={"AUTH_JWKS": jwks(signing_key)}, upstreams=Upstreams(urls))
    return app.test_client()


def test_requests_are_forwarded_with_ids_and_answers_passed_back(gateway):
    response = gateway.post("/api/v1/orders?x=1", json={"a": 1},
                            headers={"X-Request-ID": "rid-1"})
    assert response.status_code == 201
    echoed = response.json
    assert echoed["method"] == "POST" and echoed["args"] == {"x": "1"}
    assert echoed["body"] == {"a": 1}
    assert echoed["headers"]["X-Request-Id"] == "rid-1"
    assert echoed["headers"]["X-Correlation-Id"] == "rid-1"
    assert response.headers["X-Request-ID"] == "rid-1"


@pytest.mark.parametrize("raw", [True, False])
def test_the_path_reaches_the_service_as_the_client_encoded_it(gateway, raw):
    # Without RAW_URI (another WSGI server) the decoded path is encoded again.
    overrides = {} if raw else {"RAW_URI": "", "REQUEST_URI": ""}
    for sent, order_id in [("abc%3Fx", "abc?x"), ("abc%23frag", "abc#frag"),
                           ("a%2520b", "a%20b"), ("电热水壶", "电热水壶")]:
        response = gateway.get(f"/api/v1/orders/{sent}?page=2", environ_overrides=overrides)
        assert response.status_code == 200, sent
        assert response.json == {"order_id": order_id, "args": {"page": "2"}}


def test_upstream_problems_pass_through_unchanged(gateway):
    response = gateway.get("/api/v1/orders/problem")
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:x"


def test_a_down_service_is_a_503_problem_and_a_slow_one_a_504(gateway):
    down = gateway.get("/api/v1/payments/pay_1")
    assert down.status_code == 503
    assert down.content_type == "application/problem+json"
    assert down.json["service"] == "payment"
    slow = gateway.get("/api/v1/orders/slow")
    assert slow.status_code == 504
    assert slow.json["type"] == "urn:shop:problem:upstream-timeout"


def test_unknown_api_paths_are_404_problems(gateway):
    response = gateway.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_openapi_merges_public_paths_and_prefixes_components(gateway):
    document = gateway.get("/openapi.json").json
    assert list(document["paths"]) == ["/api/v1/orders"]
    ref = document["paths"]["/api/v1/orders"]["get"]["responses"]["default"]["$ref"]
    # The echo upstream stands in for two services here: their own schemas got a prefix
    # each, the runtime's error responses and Problem schema are kept once.
    assert ref == "#/components/responses/DEFAULT_ERROR"
    assert list(document["components"]["responses"]) == ["DEFAULT_ERROR"]
    assert {"order.Order", "user.Order", "Problem"} <= set(document["components"]["schemas"])
    assert not any(name.endswith(".Problem") for name in document["components"]["schemas"])
    assert "payment" in document["x-unavailable-services"]


def test_a_valid_token_is_forwarded_a_bad_one_stops_at_the_gateway(gateway, signing_key):
    good = gateway.get("/api/v1/orders", headers=bearer(signing_key, "alice"))
    assert good.status_code == 201
    assert good.json["headers"]["Authorization"].startswith("Bearer ")
    forged = gateway.get("/api/v1/orders", headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401
    assert forged.content_type == "application/problem+json"
    anonymous = gateway.get("/api/v1/orders")
    assert anonymous.status_code == 201, "the service decides whether a route needs a token"
    # The product page is the gateway's own route: a forged token stops there too.
    page = gateway.get("/api/v1/products/p-1", headers={"Authorization": "Bearer a.b.c"})
    assert page.status_code == 401
    assert page.content_type == "application/problem+json"


def test_sign_in_routes_are_rate_limited_per_client(gateway):
    statuses = [gateway.post("/api/v1/auth/login", json={}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = gateway.post("/api/v1/auth/login", json={})
    assert limited.content_type == "application/problem+json"
    assert gateway.get("/api/v1/orders").status_code == 201, "other routes are not limited"


def test_a_trusted_proxy_is_counted_per_client_it_forwards_for(gateway):
    """The web pages sign every shopper in from one address: each shopper has a limit of
    their own, which a client outside the trusted networks cannot escape by forging."""
    def login(client: str, peer: str = "127.0.0.1") -> int:
        return gateway.post("/api/v1/auth/login", json={}, environ_base={"REMOTE_ADDR": peer},
                            headers={"X-Forwarded-For": client}).status_code

    assert [login("198.51.100.1") for _ in range(6)] == [200] * 5 + [429]
    assert login("198.51.100.2") == 200, "another shopper behind the same proxy is not limited"
    forged = [login(f"192.0.2.{n}", peer="203.0.113.9") for n in range(6)]
    assert forged == [200] * 5 + [429], "an untrusted peer is counted by its own address"


def test_every_path_outside_the_api_is_a_page_of_the_web_process(gateway):
    for path in ("/", "/cart"):
        gateway._cookies.clear()  # each request from a new visitor, without cookies
        page = gateway.get(path)
        assert page.status_code == 200
        assert page.text == f"<h1>page {path}</h1><p>none</p>", \
            "a cookie the web set for one visitor is never sent for the next one"
        cookies = page.headers.getlist("Set-Cookie")
        assert len(cookies) == 2, "each cookie passes as its own header, not joined by commas"
        assert cookies[0].startswith("shop_session=abc") and "HttpOnly" in cookies[0]
        assert cookies[1].startswith("lang=en")
    assert gateway.post("/cart", data={"sku": "K"}).status_code == 200
    assert gateway.get("/api/v1/unknown").content_type == "application/problem+json"


def test_browsers_get_cors_answers(gateway):
    preflight = gateway.options("/api/v1/orders", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    simple = gateway.get("/api/v1/orders", headers={"Origin": "https://shop.example"})
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]


def test_the_product_page_aggregates_and_degrades_instead_of_failing(gateway):
    page = gateway.get("/api/v1/products/2")
    assert page.status_code == 200
    body = page.json
    assert body["name"] == "kettle" and body["skus"] == [{"sku": "K", "available": 3}]
    assert [item["id"] for item in body["recommendations"]] == [1, 3], "not itself"
    # after-sales is down in this fixture: the page comes without reviews, and says so.
    assert body["reviews"] is None
    assert body["degraded"] == ["reviews"]


def test_the_product_page_includes_reviews_when_they_answer(upstream, signing_key):
    urls = dict.fromkeys(SERVICES, upstream)
    client = create_app(config={"AUTH_JWKS": jwks(signing_key)},
                        upstreams=Upstreams(urls)).test_client()
    body = client.get("/api/v1/products/2").json
    assert body["reviews"]["items"][0]["text"] == "好用"
    assert body["degraded"] == []


def test_a_missing_product_is_the_catalogs_404(gateway):
    response = gateway.get("/api/v1/products/404")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
