"""POST /internal/pricing/quote: the promotions running now, the buyer's coupons, level
and points, priced by the engine, with the sum rules of MARKETING.md."""

from datetime import UTC, datetime, timedelta

import pytest

from event_contracts.pricing import QuoteSchema

QUOTE = "/internal/pricing/quote"


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def line(sku: str, price: int, quantity: int = 1, product_id: int | None = None) -> dict:
    return {"sku": sku, "product_id": product_id, "quantity": quantity,
            "unit_price": cny(price)}


def assert_sums(quote: dict) -> None:
    """Every rule MARKETING.md says the tests prove; and the answer is what its schema (the
    OpenAPI document) describes, field for field."""
    schema = QuoteSchema()  # load leaves out what it does not document: dump gives it all back
    assert schema.dump(schema.load(quote)) == quote
    assert sum(li["payable"]["amount"] for li in quote["lines"]) == quote["payable"]["amount"]
    for adjustment in quote["adjustments"]:
        allocated = sum(a["amount"]["amount"] for li in quote["lines"]
                        for a in li["allocations"]
                        if (a["kind"], a["source_id"]) == (adjustment["kind"],
                                                          adjustment["source_id"]))
        assert allocated == adjustment["amount"]["amount"], adjustment
    assert all(li["payable"]["amount"] >= 0 for li in quote["lines"])
    assert quote["discount_total"]["amount"] <= quote["subtotal"]["amount"]
    assert quote["payable"]["amount"] == (quote["subtotal"]["amount"]
                                          - quote["discount_total"]["amount"]
                                          - quote["points_value"]["amount"]
                                          + quote["shipping"]["amount"])


@pytest.fixture
def offers(client, admin_headers, apply):
    """满300减40 / 满500减80 on everything, 9折 on tea (category 31), gold member price on
    audio (category 22); the products' categories as the catalog announced them."""
    window = {"starts_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
              "ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    created = {}
    for name, body in {
        "reduction": {"kind": "full_reduction", "tiers": [
            {"threshold": cny(30000), "off": cny(4000)},
            {"threshold": cny(50000), "off": cny(8000)}]},
        "tea": {"kind": "timed_discount", "percent": 90,
                "scope": {"kind": "categories", "ids": [31]}},
        "members": {"kind": "member_price", "member_percents": {"gold": 95},
                    "scope": {"kind": "categories", "ids": [22]}},
    }.items():
        response = client.post("/api/v1/admin/promotions", headers=admin_headers,
                               json={"name": name, **window, **body})
        assert response.status_code == 201, response.json
        created[name] = response.json
    now = datetime.now(UTC).isoformat()
    apply("ProductUpdated", product_id=311, brand="狮峰", category_id=311,
          category_path=[3, 31, 311], updated_at=now)
    apply("ProductUpdated", product_id=221, brand="华为", category_id=221,
          category_path=[2, 22, 221], updated_at=now)
    return created


def test_a_guest_gets_the_promotions_and_the_next_tier(client, offers):
    answer = client.post(QUOTE, json={"lines": [line("TEA", 10000, 2, 311),
                                                line("MUG", 8000, 1, 7)]})
    assert answer.status_code == 200, answer.json
    quote = answer.json
    assert_sums(quote)
    assert quote["subtotal"] == cny(28000)
    # Tea 9折: 2000 off; then 26000 reaches no tier (300): the hint says what is missing.
    kinds = {(a["kind"], a["source_id"]): a["amount"]["amount"] for a in quote["adjustments"]}
    assert kinds[("timed_discount", offers["tea"]["id"])] == 2000
    assert ("full_reduction", offers["reduction"]["id"]) not in kinds
    assert quote["next_tier"]["missing"] == cny(4000)
    assert quote["next_tier"]["hint"] == "再买 ¥40.00 可减 ¥40.00"
    assert quote["member_level"] is None and quote["applied_coupon"] is None
    assert quote["coupons"] == {"usable": [], "unusable": []}
    assert quote["shipping"] == cny(0)  # 260 yuan passes the regular level's 99


def test_a_member_with_a_coupon_and_points(client, offers, alice, apply, new_coupon):
    apply("MembershipChanged", user_id="alice", level="gold", growth=6000,
          points_balance=2000, changed_at=datetime.now(UTC).isoformat())
    small = new_coupon()  # 满100减10
    big = new_coupon(name="9折 最多50", kind="percent_off", amount_off=None, percent_off=90,
                     max_discount=cny(5000), min_spend=None)
    held = [client.post(f"/api/v1/coupons/{c['id']}/claim", headers=alice).json["id"]
            for c in (small, big)]
    body = {"lines": [line("EARBUDS", 40000, 1, 221), line("TEA", 20000, 1, 311)],
            "delivery_method": "express", "points": 1000, "suggest_coupon": True}
    answer = client.post(QUOTE, json=body, headers=alice)
    assert answer.status_code == 200, answer.json
    quote = answer.json
    assert_sums(quote)
    assert quote["member_level"] == "gold"
    assert {p["id"] for p in quote["promotions"] if p["applied"]} == {
        offers["members"]["id"], offers["tea"]["id"], offers["reduction"]["id"]}
    assert quote["best_coupon"]["id"] == held[1]
    assert quote["applied_coupon"]["id"] == held[1]
    assert {c["id"] for c in quote["coupons"]["usable"]} == set(held)
    assert quote["points"] == {"balance": 2000, "requested": 1000, "used": 1000,
                               "max_usable": quote["points"]["max_usable"]}
    assert quote["shipping"] == cny(0)  # gold: delivery free from ¥49, express too
    chosen = client.post(QUOTE, json={**body, "user_coupon_id": held[0]}, headers=alice).json
    assert_sums(chosen)
    assert chosen["applied_coupon"]["id"] == held[0]
    coupon = [a for a in chosen["adjustments"] if a["kind"] == "coupon"]
    assert [(a["source_id"], a["amount"]) for a in coupon] == [(small["id"], cny(1000))]


def test_a_coupon_given_by_its_redeem_code(client, alice, new_coupon):
    template = new_coupon(redeem_code="TEA2026", claimable=False)
    body = {"lines": [line("TEA", 20000)], "coupon_code": "tea2026"}
    refused = client.post(QUOTE, json=body, headers=alice)
    assert (refused.status_code, refused.json["type"]) == (
        422, "urn:shop:problem:coupon-not-usable")
    client.post("/api/v1/coupons/redeem", json={"code": "TEA2026"}, headers=alice)
    quote = client.post(QUOTE, json=body, headers=alice).json
    assert quote["applied_coupon"]["template_id"] == template["id"]
    assert quote["payable"] == cny(19000)


def test_a_bad_coupon_or_too_many_points_is_a_422(client, alice, bob, new_coupon, apply):
    held = client.post(f"/api/v1/coupons/{new_coupon()['id']}/claim", headers=alice).json["id"]
    small = {"lines": [line("MUG", 5000)]}
    below = client.post(QUOTE, json={**small, "user_coupon_id": held}, headers=alice)
    assert (below.status_code, below.json["type"], below.json["reason"]) == (
        422, "urn:shop:problem:coupon-not-usable", "min_spend_not_reached")
    other = client.post(QUOTE, json={**small, "user_coupon_id": held}, headers=bob)
    assert (other.status_code, other.json["reason"]) == (422, "not_found")
    points = client.post(QUOTE, json={**small, "points": 10}, headers=alice)
    assert (points.status_code, points.json["type"]) == (422, "urn:shop:problem:not-enough-points")
    both = client.post(QUOTE, json={**small, "user_coupon_id": held, "coupon_code": "X"},
                       headers=alice)
    assert both.status_code == 422
    assert client.post(QUOTE, json={"lines": []}).status_code == 422
    usd = client.post(QUOTE, json={"lines": [{**line("MUG", 100), "unit_price": {
        "amount": 100, "currency": "USD"}}]})
    assert usd.status_code == 422
    forged = client.post(QUOTE, json=small, headers={"Authorization": "Bearer nope"})
    assert forged.status_code == 401


def test_a_coupon_locked_in_an_order_is_not_offered_again(client, alice, apply, new_coupon):
    held = client.post(f"/api/v1/coupons/{new_coupon()['id']}/claim", headers=alice).json["id"]
    body = {"lines": [line("KETTLE", 20000)], "suggest_coupon": True}
    assert client.post(QUOTE, json=body, headers=alice).json["best_coupon"]["id"] == held
    apply("OrderPlaced", order_id="ord_1", user_id="alice", user_coupon_id=held,
          placed_at=datetime.now(UTC).isoformat())
    quote = client.post(QUOTE, json=body, headers=alice).json
    assert (quote["best_coupon"], quote["coupons"]["usable"]) == (None, [])
    again = client.post(QUOTE, json={**body, "user_coupon_id": held}, headers=alice)
    assert (again.status_code, again.json["reason"]) == (422, "not_found")
    apply("OrderCancelled", order_id="ord_1", user_id="alice")
    assert client.post(QUOTE, json=body, headers=alice).json["best_coupon"]["id"] == held
