"""GET /cart priced by the marketing service's quote, over real HTTP.

A minimal marketing service (``POST /internal/pricing/quote`` as MARKETING.md writes it)
is served from a thread: 满300减40 / 满500减80 on everything; standard shipping ¥10, free
from ¥99 for a guest and from ¥49 for a signed-in buyer (a gold member); a signed-in buyer
holds one coupon (¥5 off from ¥30) and 1,200 points. It records what it was asked.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from functools import partial

import pytest
from flask import Flask, jsonify, request

from cart.app import create_app
from cart.definition import DEFINITION
from cart.settings import CartSettings
from service_runtime.testing.plugin import ServiceUnderTest
from service_runtime.testing.processes import served

CART, ITEMS = "/api/v1/cart", "/api/v1/cart/items"
TIERS = [(30000, 4000), (50000, 8000)]
COUPON = {"id": "uc_1", "template_id": "tpl_1", "status": "available",
          "valid_from": "2026-11-01T00:00:00+00:00", "valid_until": None, "source": "claim",
          "template": {"id": "tpl_1", "name": "满30减5", "kind": "amount_off"}}


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def quote(body: dict, signed_in: bool) -> dict:
    subtotal = sum(line["unit_price"]["amount"] * line["quantity"] for line in body["lines"])
    reached = [(threshold, off) for threshold, off in TIERS if subtotal >= threshold]
    reduction = reached[-1][1] if reached else 0
    ahead = [(threshold, off) for threshold, off in TIERS if subtotal < threshold]
    coupon = 500 if signed_in and subtotal - reduction >= 3000 else 0
    goods = subtotal - reduction - coupon
    shipping = 0 if goods >= (4900 if signed_in else 9900) else 1000
    adjustments = [{"kind": kind, "source_id": source, "label": label, "amount": cny(amount)}
                   for kind, source, label, amount in [
                       ("full_reduction", "promo_1", "满300减40", reduction),
                       ("coupon", "tpl_1", "满30减5", coupon),
                       ("shipping", None, "运费", shipping)] if amount]
    return {
        "currency": "CNY", "subtotal": cny(subtotal),
        "discount_total": cny(reduction + coupon), "shipping": cny(shipping),
        "points_used": 0, "points_value": cny(0), "payable": cny(goods + shipping),
        "adjustments": adjustments, "lines": [],
        "applied_coupon": COUPON if coupon else None,
        "coupons": {"usable": [{**COUPON, "discount": cny(coupon)}] if coupon else [],
                    "unusable": [] if coupon or not signed_in
                    else [{**COUPON, "reason": "min_spend_not_met"}]},
        "best_coupon": {**COUPON, "discount": cny(coupon)} if coupon else None,
        "promotions": [{"id": "promo_1", "kind": "full_reduction", "name": "满300减40",
                        "applied": bool(reduction), "discount": cny(reduction)}],
        "next_tier": {"promotion_id": "promo_1", "threshold": cny(ahead[0][0]),
                      "off": cny(ahead[0][1]), "missing": cny(ahead[0][0] - subtotal),
                      "hint": f"再买 {yuan(ahead[0][0] - subtotal)} 可减 {yuan(ahead[0][1])}"}
        if ahead else None,
        "points": {"balance": 1200 if signed_in else 0, "requested": 0, "used": 0,
                   "max_usable": min(1200, goods // 2) if signed_in else 0},
        "member_level": "gold" if signed_in else None,
    }


@dataclass
class FakeMarketing:
    url: str = ""
    mode: str = "quote"  # quote | error | slow | not_a_quote | another_cart
    asked: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Flask:
        app = Flask("fake-marketing")

        @app.post("/internal/pricing/quote")
        def answer():  # type: ignore[no-untyped-def]
            with self.lock:
                self.asked.append({"headers": dict(request.headers), "body": request.json})
            if self.mode == "error":
                return jsonify(type="urn:shop:problem:internal"), 503
            if self.mode == "slow":
                time.sleep(1.0)
            if self.mode == "not_a_quote":
                return "<html>maintenance</html>", 200
            answered = quote(request.json, "Authorization" in request.headers)
            if self.mode == "another_cart":
                answered["subtotal"] = cny(answered["subtotal"]["amount"] + 100)
            response = jsonify(answered)
            # A cookie meant for one buyer must never ride along with the next one's quote.
            response.set_cookie("marketing_session", request.headers.get("Authorization", "-"))
            return response

        return app


@pytest.fixture
def marketing():
    fake = FakeMarketing()
    with served(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
def service_under_test(marketing):
    settings = CartSettings(marketing_service_url=marketing.url + "/", marketing_timeout_ms=300)
    return ServiceUnderTest(DEFINITION, partial(create_app, settings=settings),
                            {"MAX_CONTENT_LENGTH": 16 * 1024})


def guest_cart(client, *items: tuple[str, int]) -> dict:
    token = client.post(ITEMS, json={"sku": items[0][0], "quantity": items[0][1]}).headers[
        "X-Cart-Token"]
    for sku, quantity in items[1:]:
        client.post(ITEMS, json={"sku": sku, "quantity": quantity},
                    headers={"X-Cart-Token": token})
    return {"X-Cart-Token": token}


def test_a_guest_cart_is_priced_by_marketing_without_authorization(client, catalog, marketing):
    guest = guest_cart(client, ("KETTLE", 3), ("MUG", 1))
    assert marketing.asked == [], "changing the cart asks nothing"
    response = client.get(CART, headers={**guest, "X-Correlation-ID": "corr-cart-1"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()

    [asked] = marketing.asked
    assert "Authorization" not in asked["headers"]
    assert asked["headers"]["X-Correlation-Id"] == "corr-cart-1"
    assert asked["body"] == {
        "lines": [{"sku": "KETTLE", "product_id": 1, "quantity": 3, "unit_price": cny(9900)},
                  {"sku": "MUG", "product_id": 2, "quantity": 1, "unit_price": cny(2500)}],
        "delivery_method": None, "user_coupon_id": None, "coupon_code": None, "points": 0,
        "suggest_coupon": True}

    assert body["totals"] == {"items": 4, "subtotal": cny(32200),
                              "shipping_estimate": cny(0), "total": cny(28200)}
    pricing = body["pricing"]
    assert (pricing["discount_total"], pricing["shipping"], pricing["payable"]) == (
        cny(4000), cny(0), cny(28200))
    assert pricing["adjustments"] == [{"kind": "full_reduction", "source_id": "promo_1",
                                       "label": "满300减40", "amount": cny(4000)}]
    assert pricing["promotions"] == [{"id": "promo_1", "kind": "full_reduction",
                                      "name": "满300减40", "applied": True,
                                      "discount": cny(4000)}]
    assert pricing["next_tier"] == {"promotion_id": "promo_1", "threshold": cny(50000),
                                    "off": cny(8000), "missing": cny(17800),
                                    "hint": "再买 ¥178.00 可减 ¥80.00"}
    assert pricing["best_coupon"] is None
    assert pricing["coupons"] == {"usable": [], "unusable": []}
    assert pricing["points"] == {"balance": 0, "requested": 0, "used": 0, "max_usable": 0}
    assert body["cart_token"] == guest["X-Cart-Token"]


def test_a_signed_in_cart_is_priced_for_the_buyer_with_their_token(client, catalog, marketing,
                                                                   alice):
    client.post(ITEMS, json={"sku": "MUG", "quantity": 3}, headers=alice)
    body = client.get(CART, headers=alice).get_json()

    [asked] = marketing.asked
    assert asked["headers"]["Authorization"] == alice["Authorization"]
    assert asked["headers"]["X-Correlation-Id"], "a correlation id is always forwarded"
    # The cart alone would charge ¥75 + ¥10; the order charges what marketing quotes.
    assert body["totals"] == {"items": 3, "subtotal": cny(7500),
                              "shipping_estimate": cny(0), "total": cny(7000)}
    pricing = body["pricing"]
    assert pricing["payable"] == cny(7000) and pricing["discount_total"] == cny(500)
    assert pricing["best_coupon"] == {**COUPON, "discount": cny(500)}
    assert pricing["coupons"]["usable"] == [{**COUPON, "discount": cny(500)}]
    assert pricing["next_tier"]["hint"] == "再买 ¥225.00 可减 ¥40.00"
    assert pricing["points"] == {"balance": 1200, "requested": 0, "used": 0,
                                 "max_usable": 1200}
    assert "cart_token" not in body


def test_a_small_cart_shows_the_quotes_shipping_and_the_tier_hint(client, catalog, marketing,
                                                                  alice):
    client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=alice)
    body = client.get(CART, headers=alice).get_json()
    assert body["totals"]["shipping_estimate"] == cny(1000)
    assert body["totals"]["total"] == cny(3500)
    assert body["pricing"]["next_tier"]["hint"] == "再买 ¥275.00 可减 ¥40.00"
    assert body["pricing"]["coupons"]["unusable"] == [{**COUPON, "reason": "min_spend_not_met"}]


def test_each_read_is_one_call_from_one_pooled_session_keeping_no_cookies(
        app, client, catalog, marketing, alice, bob):
    session = app.extensions["marketing"].session
    client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=alice)
    client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=bob)
    for headers in (alice, bob, alice):
        assert client.get(CART, headers=headers).status_code == 200
    assert len(marketing.asked) == 3
    assert app.extensions["marketing"].session is session, "one session per process"
    assert session.adapters["http://"]._pool_maxsize == 16
    assert not any("Cookie" in asked["headers"] for asked in marketing.asked)
    assert [asked["headers"]["Authorization"] for asked in marketing.asked] == [
        alice["Authorization"], bob["Authorization"], alice["Authorization"]]


def test_an_empty_cart_asks_marketing_nothing(client, catalog, marketing, alice):
    assert "pricing" not in client.get(CART).get_json()
    assert "pricing" not in client.get(CART, headers=alice).get_json()
    client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=alice)
    emptied = client.delete(f"{ITEMS}/MUG", headers=alice)
    assert emptied.status_code == 200
    body = client.get(CART, headers=alice).get_json()
    assert body["lines"] == [] and "pricing" not in body
    assert marketing.asked == []


@pytest.mark.parametrize("mode", ["error", "slow", "not_a_quote", "another_cart"])
def test_without_a_quote_the_cart_shows_its_own_totals(client, catalog, marketing, alice,
                                                       caplog, mode):
    marketing.mode = mode
    client.post(ITEMS, json={"sku": "MUG", "quantity": 2}, headers=alice)
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        response = client.get(CART, headers=alice)
        took = time.monotonic() - started
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert "pricing" not in body
    assert body["totals"] == {"items": 2, "subtotal": cny(5000),
                              "shipping_estimate": cny(1000), "total": cny(6000)}
    assert any("without a quote" in record.getMessage() for record in caplog.records)
    assert len(marketing.asked) == 1
    assert took < 0.9, "a slow marketing service costs the read its timeout, no more"


def test_with_marketing_not_running_the_cart_shows_its_own_totals(app, catalog, alice, caplog):
    """The cart's own settings, with the default of this test folder: nothing listens."""
    from service_runtime.testing.processes import free_port

    database = app.extensions["db"].engine.url.render_as_string(hide_password=False)
    down = create_app(database=database, config={"AUTH_JWKS": app.config["AUTH_JWKS"]},
                      settings=CartSettings(
                          marketing_service_url=f"http://127.0.0.1:{free_port()}"))
    client = down.test_client()
    client.post(ITEMS, json={"sku": "KETTLE", "quantity": 1}, headers=alice)
    try:
        with caplog.at_level(logging.WARNING):
            body = client.get(CART, headers=alice).get_json()
    finally:
        down.extensions["db"].dispose()
    assert "pricing" not in body
    assert body["totals"]["total"] == cny(9900)
    assert any("did not answer" in record.getMessage() for record in caplog.records)


def test_the_pricing_is_described_in_the_openapi_document(client):
    document = client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    get = document["paths"]["/api/v1/cart"]["get"]["responses"]["200"]
    ref = next(iter(get["content"].values()))["schema"]["$ref"].rsplit("/", 1)[1]
    assert "pricing" in schemas[ref]["properties"]
    pricing = schemas["CartPricing"]["properties"]
    assert set(pricing) == {"discount_total", "shipping", "payable", "adjustments",
                            "promotions", "next_tier", "best_coupon", "coupons", "points"}
    assert schemas["NextTier"]["properties"]["hint"]["example"] == "再买 ¥23.00 可减 ¥40.00"


def test_the_cart_relays_the_contract_s_quote_without_the_order_s_parts():
    from cart.quote_schemas import QUOTE_READER, CartPricingSchema

    answered = quote({"lines": [{"sku": "KETTLE", "quantity": 1,
                                 "unit_price": cny(2000)}]}, signed_in=True)
    unusable = {**COUPON, "id": "uc_2", "reason": "min_spend_not_reached",
                "reason_detail": "还差 ¥10.00", "missing": cny(1000), "stamp": "new"}
    answered["coupons"]["unusable"] = [unusable]
    answered["lines"] = [{"not": "read"}]  # the cart does not even read the lines
    shown = CartPricingSchema().dump(QUOTE_READER.load(answered))
    assert set(shown) == {"discount_total", "shipping", "payable", "adjustments",
                          "promotions", "next_tier", "best_coupon", "coupons", "points"}
    assert shown["coupons"]["unusable"] == [{key: value for key, value in unusable.items()
                                             if key != "stamp"}]
