"""Checkout priced through the marketing service's quote: ``POST /checkout/preview`` and
``POST /orders`` call the same function, against a quote server over real HTTP
(``order_quote_server.py``) that computes from its input by MARKETING.md's rules."""

import json
import uuid
from pathlib import Path

import pytest
from order_quote_server import Coupon
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from event_contracts import REGISTRY
from order.models import Order
from service_runtime.consumer import decode
from service_runtime.testing.plugin import outbox_events
from service_runtime.testing.processes import free_port, served

PREVIEW, ORDERS = "/api/v1/checkout/preview", "/api/v1/orders"
LINES = [{"sku": "KETTLE", "quantity": 1}, {"sku": "MUG", "quantity": 3}]  # 99.00 + 75.00
BODY = {"address_id": "addr_1", "delivery_method": "express", "lines": LINES}
EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"


def money(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def count_orders(db) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Order))


def inbound(event_type: str, **changes):  # type: ignore[no-untyped-def]
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    raw["id"] = str(uuid.uuid4())
    raw["data"].update(changes)
    raw["key"] = raw["data"]["order_id"]
    return decode(json.dumps(raw).encode())


@pytest.fixture
def alice_holds(marketing):
    """alice: a 20.00-off coupon (min spend 100.00), a 5.00-off one with a redeem code,
    and 3,000 points."""
    marketing.give(Coupon("ucp_20", "alice", amount_off=2000, min_spend=10000))
    marketing.give(Coupon("ucp_5", "alice", amount_off=500, template_id="tpl_5"),
                   code="HELLO5")
    marketing.balances["alice"] = 3000
    return marketing


def test_the_preview_is_the_quote_with_the_best_coupon_suggested(client, alice, alice_holds):
    response = client.post(PREVIEW, json={"lines": LINES, "delivery_method": "standard"},
                           headers={**alice, "X-Correlation-ID": "corr-preview"})
    assert response.status_code == 200, response.json
    quote = response.json
    assert quote["subtotal"] == money(17400)
    assert quote["applied_coupon"]["id"] == "ucp_20", "the best usable one, none chosen"
    assert quote["discount_total"] == money(2000)
    assert quote["shipping"] == money(0), "standard is free from 99.00"
    assert quote["payable"] == money(15400)
    assert sum(line["payable"]["amount"] for line in quote["lines"]) == 15400
    assert [c["id"] for c in quote["coupons"]["usable"]] == ["ucp_20", "ucp_5"]
    assert quote["points"] == {"balance": 3000, "requested": 0, "used": 0,
                               "max_usable": 3000}
    # The quote was asked as the buyer, with the line prices of this service's price list.
    headers, sent = alice_holds.requests[-1]
    assert headers["Authorization"] == alice["Authorization"]
    assert headers["X-Correlation-Id"] == "corr-preview"
    assert sent["lines"] == [
        {"sku": "KETTLE", "product_id": None, "quantity": 1, "unit_price": money(9900)},
        {"sku": "MUG", "product_id": None, "quantity": 3, "unit_price": money(2500)}]
    assert sent["suggest_coupon"] is True


def test_the_previewed_coupons_carry_their_template(client, alice, alice_holds):
    # The buyer's app names each coupon from the preview alone (no GET /users/me/coupons).
    quote = client.post(PREVIEW, json={"lines": LINES}, headers=alice).json
    template = {"id": "tpl_1", "name": "¥20 off", "kind": "amount_off",
                "amount_off": money(2000), "percent_off": None, "max_discount": None,
                "min_spend": money(10000), "scope": {"kind": "all"}}
    assert quote["applied_coupon"]["template"] == template
    assert quote["best_coupon"]["template"] == template
    assert quote["best_coupon"]["discount"] == money(2000)
    assert [(c["id"], c["template"]["name"]) for c in quote["coupons"]["usable"]] == [
        ("ucp_20", "¥20 off"), ("ucp_5", "¥5 off")]
    assert quote["applied_coupon"]["status"] == "available"


def test_the_preview_without_any_coupon(client, alice, alice_holds):
    # "不使用优惠券": the breakdown without a coupon, the usable ones still listed.
    response = client.post(PREVIEW, json={"lines": LINES, "suggest_coupon": False},
                           headers=alice)
    assert response.status_code == 200, response.json
    quote = response.json
    assert alice_holds.requests[-1][1]["suggest_coupon"] is False
    assert quote["applied_coupon"] is None
    assert quote["discount_total"] == money(0)
    assert quote["payable"] == money(17400)
    assert [c["id"] for c in quote["coupons"]["usable"]] == ["ucp_20", "ucp_5"]
    # A coupon chosen still applies; the flag only stops the suggestion.
    chosen = client.post(PREVIEW, json={"lines": LINES, "suggest_coupon": False,
                                        "coupon_id": "ucp_5"}, headers=alice).json
    assert chosen["applied_coupon"]["id"] == "ucp_5"
    assert chosen["discount_total"] == money(500)
    refused = client.post(PREVIEW, json={"lines": LINES, "suggest_coupon": "maybe"},
                          headers=alice)
    assert refused.status_code == 422


def test_the_preview_prices_the_cart_without_lines(client, alice, cart, marketing):
    cart.holds("alice", ("MUG", 2))
    quote = client.post(PREVIEW, json={}, headers=alice).json
    assert [(line["sku"], line["quantity"]) for line in quote["lines"]] == [("MUG", 2)]
    assert quote["shipping"] == money(1000), "standard under 99.00"
    assert quote["payable"] == money(6000)
    empty = client.post(PREVIEW, json={}, headers={"Authorization": "Bearer x"})
    assert empty.status_code == 401


@pytest.mark.parametrize("choice", [
    {"coupon_id": "ucp_20", "points": 1000, "delivery_method": "express"},
    {"coupon_code": "HELLO5", "points": 3000, "delivery_method": "standard"},
    {"points": 77, "delivery_method": "pickup"},
    {"delivery_method": "standard"},
], ids=["coupon-points-express", "code-all-points", "points-pickup", "nothing"])
def test_the_order_costs_exactly_what_the_preview_showed(client, db, alice, alice_holds,
                                                         choice):
    if "coupon_id" not in choice and "coupon_code" not in choice:
        # Else the preview would suggest one: an order gets only the coupon it names
        # (test_an_order_never_gets_a_coupon_it_did_not_name).
        alice_holds.coupons.clear()
    preview = client.post(PREVIEW, json={"lines": LINES, **choice}, headers=alice).json
    response = client.post(ORDERS, json={**BODY, **choice}, headers=alice)
    assert response.status_code == 201, response.json
    order = response.json
    assert order["total"] == preview["payable"]
    assert order["discount_total"] == preview["discount_total"]
    assert order["shipping"] == preview["shipping"]
    assert order["points_used"] == preview["points_used"]
    assert order["adjustments"] == preview["adjustments"]
    assert order["user_coupon_id"] == (preview["applied_coupon"] or {}).get("id")
    assert [(line["payable"], line["points"], line["allocations"]) for line in order["lines"]] \
        == [(line["payable"], line["points"], line["allocations"]) for line in preview["lines"]]
    assert alice_holds.requests[-1][1]["suggest_coupon"] is False


def test_an_order_never_gets_a_coupon_it_did_not_name(client, alice, alice_holds):
    preview = client.post(PREVIEW, json={"lines": LINES, "delivery_method": "express"},
                          headers=alice).json
    assert preview["applied_coupon"]["id"] == "ucp_20"
    order = client.post(ORDERS, json=BODY, headers=alice).json
    assert (order["user_coupon_id"], order["discount_total"]) == (None, money(0))
    assert order["total"] == money(17400), "delivery is free from ¥99"


def test_the_order_keeps_and_announces_its_breakdown(client, db, alice, alice_holds, consumer):
    four_mugs = [{"sku": "MUG", "quantity": 4}]
    order = client.post(ORDERS, json={**BODY, "lines": four_mugs, "coupon_id": "ucp_20",
                                      "points": 1000}, headers=alice).json
    # 100.00 - 20.00 coupon - 10.00 points + 20.00 express (80.00 of goods: under ¥99)
    assert order["total"] == money(9000)
    assert (order["discount_total"], order["shipping"]) == (money(2000), money(2000))
    assert [a["kind"] for a in order["adjustments"]] == ["coupon", "points", "shipping"]
    assert (order["user_coupon_id"], order["points_used"]) == ("ucp_20", 1000)
    assert sum(line["payable"]["amount"] for line in order["lines"]) == 9000
    assert sum(line["points"] for line in order["lines"]) == 1000
    fetched = client.get(f"{ORDERS}/{order['id']}", headers=alice).json
    assert fetched == order

    [event] = outbox_events(db, "OrderPlaced")
    data = event["data"]
    REGISTRY.validate_outgoing("OrderPlaced", 1, data)
    assert data["total"] == money(9000)
    assert (data["discount_total"], data["shipping"]) == (money(2000), money(2000))
    assert (data["user_coupon_id"], data["points_used"]) == ("ucp_20", 1000)
    assert data["adjustments"] == order["adjustments"]
    assert [(line["payable"], line["points"]) for line in data["lines"]] == [
        (line["payable"], line["points"]) for line in order["lines"]]


def test_a_redeem_code_orders_with_the_user_coupon_it_names(client, alice, alice_holds):
    order = client.post(ORDERS, json={**BODY, "coupon_code": "HELLO5"}, headers=alice).json
    assert (order["coupon_code"], order["user_coupon_id"]) == ("HELLO5", "ucp_5")
    assert order["discount_total"] == money(500)


@pytest.mark.parametrize("choice, slug", [
    ({"coupon_id": "ucp_nope"}, "coupon-not-usable"),
    ({"coupon_code": "NOPE"}, "coupon-not-usable"),
    ({"points": 3001}, "not-enough-points"),
], ids=["unknown-coupon", "unknown-code", "too-many-points"])
def test_the_quotes_refusals_reach_the_buyer_as_the_same_422(client, db, alice, alice_holds,
                                                             choice, slug):
    for path, body in ((PREVIEW, {"lines": LINES, **choice}), (ORDERS, {**BODY, **choice})):
        response = client.post(path, json=body, headers=alice)
        assert response.status_code == 422, response.json
        assert response.content_type == "application/problem+json"
        assert response.json["type"] == f"urn:shop:problem:{slug}"
        assert response.json["detail"]
    assert count_orders(db) == 0
    assert outbox_events(db) == []


def test_a_coupon_id_and_a_code_together_are_a_422(client, alice, alice_holds):
    response = client.post(ORDERS, json={**BODY, "coupon_id": "ucp_20",
                                         "coupon_code": "HELLO5"}, headers=alice)
    assert response.status_code == 422


def test_marketing_down_is_a_503_and_no_order(client, db, alice, reconfigure):
    reconfigure(marketing_service_url=f"http://127.0.0.1:{free_port()}")
    for path, body in ((PREVIEW, {"lines": LINES}), (ORDERS, BODY)):
        response = client.post(path, json=body, headers=alice)
        assert response.status_code == 503
        assert response.json["type"] == "urn:shop:problem:pricing-unavailable"
    assert count_orders(db) == 0


@pytest.mark.parametrize("status, answer", [
    (500, "<html>oops</html>"),
    (200, "not json"),
    (200, json.dumps({"currency": "CNY", "lines": []})),
], ids=["error", "garbage", "other-lines"])
def test_a_quote_that_is_not_one_is_a_503(client, db, alice, reconfigure, status, answer):
    with served(lambda environ, start: Response(answer, status=status)(environ, start)) as url:
        reconfigure(marketing_service_url=url)
        response = client.post(ORDERS, json=BODY, headers=alice)
    assert response.status_code == 503
    assert response.json["type"] == "urn:shop:problem:pricing-unavailable"
    assert count_orders(db) == 0


def test_a_quote_that_does_not_add_up_is_a_503(client, db, alice, reconfigure, marketing):
    def lying(environ, start):  # type: ignore[no-untyped-def]
        body = json.loads(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        quote = marketing.quote("alice", body)
        quote["payable"] = money(1)  # the lines still add up to the real payable
        return Response(json.dumps(quote), content_type="application/json")(environ, start)

    with served(lying) as url:
        reconfigure(marketing_service_url=url)
        response = client.post(ORDERS, json=BODY, headers=alice)
    assert response.status_code == 503
    assert count_orders(db) == 0


@pytest.mark.parametrize("event_type, changes, note, by", [
    ("CouponRejected", {"reason": "not_available"}, "coupon already used", "coupon"),
    ("CouponRejected", {"reason": "expired"}, "coupon expired", "coupon"),
    ("PointsRejected", {"points": 1000}, "not enough points (1000 needed)", "points"),
])
def test_a_refused_coupon_or_points_cancel_the_pending_order(
        client, db, alice, alice_holds, consumer, event_type, changes, note, by):
    order = client.post(ORDERS, json={**BODY, "coupon_id": "ucp_20", "points": 1000},
                        headers=alice).json
    refused = inbound(event_type, order_id=order["id"], user_id="alice", **changes)
    consumer.apply(refused)
    consumer.apply(inbound(event_type, order_id=order["id"], user_id="alice", **changes))
    fetched = client.get(f"{ORDERS}/{order['id']}", headers=alice).json
    assert fetched["status"] == "cancelled"
    assert [(e["status"], e["note"]) for e in fetched["timeline"]][-1] == ("cancelled", note)
    [cancelled] = outbox_events(db, "OrderCancelled")
    REGISTRY.validate_outgoing("OrderCancelled", 1, cancelled["data"])
    assert (cancelled["data"]["cancelled_by"], cancelled["data"]["reason"]) == (by, note)
    assert [line["sku"] for line in cancelled["data"]["lines"]] == ["KETTLE", "MUG"]


def test_a_refusal_after_the_order_moved_on_changes_nothing(client, db, alice, alice_holds,
                                                             consumer):
    order = client.post(ORDERS, json={**BODY, "coupon_id": "ucp_20"}, headers=alice).json
    consumer.apply(inbound("PaymentDue", order_id=order["id"], user_id="alice",
                           amount=order["total"]))
    consumer.apply(inbound("CouponRejected", order_id=order["id"], user_id="alice"))
    assert client.get(f"{ORDERS}/{order['id']}", headers=alice).json["status"] \
        == "awaiting_payment"
    assert outbox_events(db, "OrderCancelled") == []


def test_the_openapi_document_describes_the_preview(client):
    spec = client.get("/openapi.json").json
    operation = spec["paths"]["/api/v1/checkout/preview"]["post"]
    assert operation["security"]
    quote = spec["components"]["schemas"]["Quote"]["properties"]
    assert {"subtotal", "discount_total", "shipping", "points_used", "points_value",
            "payable", "adjustments", "lines", "applied_coupon", "coupons", "best_coupon",
            "promotions", "next_tier", "points", "member_level"} <= set(quote)
    coupon = spec["components"]["schemas"]["UserCoupon"]["properties"]
    assert coupon["template"] == {"$ref": "#/components/schemas/CouponTemplate"}
    body = spec["components"]["schemas"]["CheckoutPreview"]["properties"]
    assert body["suggest_coupon"]["type"] == "boolean"
    assert body["suggest_coupon"]["default"] is True
    order = spec["components"]["schemas"]["Order"]["properties"]
    assert {"discount_total", "shipping", "adjustments", "user_coupon_id",
            "points_used"} <= set(order)


def test_the_marketing_url_is_read_from_the_environment(monkeypatch):
    from order.settings import OrderSettings

    monkeypatch.delenv("MARKETING_SERVICE_URL", raising=False)
    assert OrderSettings.from_env().marketing_service_url == "http://127.0.0.1:8108"
    monkeypatch.setenv("MARKETING_SERVICE_URL", "http://marketing-api:8108/")
    assert OrderSettings.from_env().marketing_service_url == "http://marketing-api:8108"
