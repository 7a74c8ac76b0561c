"""Marketing and membership end to end, through the gateway only: a new-user coupon arrives
at registration, the cart shows the progress to the next full-reduction tier, an order with
a coupon, points and a full-reduction is charged exactly what the preview said, paid,
completed, one line refunded with exactly its share and its points; another order cancelled
before payment gives its coupon back.

The offers are scoped to two brands no other e2e test buys (美的, 华为), and paused at the
end, so the shared stack's other tests see the prices they expect.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from e2e_steps import (
    events_of,
    ship_and_deliver,
    sign_up,
    start_payment,
    wait_for_status,
)
from service_runtime.testing.processes import wait_until

RICE, EARBUDS = "RICE-COOKER-3L", "EARBUDS-BT-PRO"  # 美的 ¥299, 华为 ¥499
SCOPE = {"kind": "brands", "names": ["美的", "华为"]}


def money(fen: int) -> dict:
    return {"amount": fen, "currency": "CNY"}


@pytest.fixture(scope="module")
def offers(stack, admin):
    """满300减40 / 满500减80, a new-user coupon (满100减10) and a claimable 满200减20, all on
    the two brands; paused when the module is done."""
    import requests

    now = datetime.now(UTC)

    def post(path: str, body: dict) -> dict:
        response = requests.post(stack.url(path), json=body, headers=admin)
        assert response.status_code == 201, response.text
        return response.json()

    promotion = post("/api/v1/admin/promotions", {
        "name": "电器满减 e2e", "kind": "full_reduction", "scope": SCOPE,
        "tiers": [{"threshold": money(30000), "off": money(4000)},
                  {"threshold": money(50000), "off": money(8000)}],
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat()})
    new_user = post("/api/v1/admin/coupons", {
        "name": "新人券 e2e 满100减10", "kind": "amount_off", "amount_off": money(1000),
        "min_spend": money(10000), "scope": SCOPE, "valid_days": 30, "total_quantity": 10_000,
        "per_user_limit": 1, "claimable": False, "auto_issue": "new_user"})
    claimable = post("/api/v1/admin/coupons", {
        "name": "领券 e2e 满200减20", "kind": "amount_off", "amount_off": money(2000),
        "min_spend": money(20000), "scope": SCOPE, "valid_days": 7, "total_quantity": 100,
        "per_user_limit": 1, "claimable": True})
    yield {"promotion": promotion, "new_user": new_user, "claimable": claimable}
    for path in (f"/api/v1/admin/promotions/{promotion['id']}",
                 f"/api/v1/admin/coupons/{new_user['id']}",
                 f"/api/v1/admin/coupons/{claimable['id']}"):
        requests.patch(stack.url(path), json={"status": "paused"}, headers=admin)


def my_coupons(stack, http, headers, status: str | None = None) -> list[dict]:
    query = f"?status={status}" if status else ""
    response = http.get(stack.url(f"/api/v1/users/me/coupons{query}"), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def membership(stack, http, headers) -> dict:
    response = http.get(stack.url("/api/v1/users/me/membership"), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def coupon_status(stack, http, headers, coupon_id: str) -> str | None:
    return next((c["status"] for c in my_coupons(stack, http, headers) if c["id"] == coupon_id),
                None)


def test_coupons_points_and_full_reduction_from_cart_to_partial_refund(stack, http, admin,
                                                                       offers):
    carol = sign_up(stack, "carol")
    me = http.get(stack.url("/api/v1/users/me"), headers=carol).json()

    # Registration hands out the new-user coupon (UserRegistered -> marketing).
    [welcome] = wait_until(lambda: my_coupons(stack, http, carol, "available"), 60, 0.3,
                           "the new-user coupon")
    assert welcome["template_id"] == offers["new_user"]["id"]

    stack.cli("user", "grant-points", "--user-id", me["id"], "--points", "1000")
    wait_until(lambda: membership(stack, http, carol)["points"]["balance"] == 1000, 60, 0.3,
               "the granted points")

    # One rice cooker: ¥1 short of 满300减40, and the cart says so.
    assert http.post(stack.url("/api/v1/cart/items"), headers=carol,
                     json={"sku": RICE, "quantity": 1}).status_code in (200, 201)
    cart = http.get(stack.url("/api/v1/cart"), headers=carol).json()
    tier = cart["pricing"]["next_tier"]
    assert (tier["missing"], tier["off"]) == (money(100), money(4000))
    assert "再买 ¥1.00 可减 ¥40.00" in tier["hint"]

    # With the earbuds the order reaches 满500减80; the welcome coupon is the best one.
    assert http.post(stack.url("/api/v1/cart/items"), headers=carol,
                     json={"sku": EARBUDS, "quantity": 1}).status_code in (200, 201)
    cart = http.get(stack.url("/api/v1/cart"), headers=carol).json()
    assert cart["pricing"]["best_coupon"]["id"] == welcome["id"]
    applied = {p["id"]: p for p in cart["pricing"]["promotions"] if p["applied"]}
    assert applied[offers["promotion"]["id"]]["discount"] == money(8000)

    address_id = next(a["id"] for a in http.get(stack.url("/api/v1/users/me/addresses"),
                                                 headers=carol).json() if a["is_default"])
    checkout = {"address_id": address_id, "delivery_method": "standard",
                "coupon_id": welcome["id"], "points": 500}

    def preview() -> dict | None:
        # Marketing learns the points balance from MembershipChanged: wait for its copy.
        answer = http.post(stack.url("/api/v1/checkout/preview"), json=checkout, headers=carol)
        return answer.json() if answer.status_code == 200 else None

    quote = wait_until(preview, 60, 0.3, "a preview with the points")
    assert quote["subtotal"] == money(79800)
    assert quote["payable"] == money(79800 - 8000 - 1000 - 500)
    assert quote["shipping"] == money(0), "满99包邮"
    kinds = {a["kind"]: a["amount"] for a in quote["adjustments"]}
    assert kinds == {"full_reduction": money(8000), "coupon": money(1000),
                     "points": money(500)}

    placed = http.post(stack.url("/api/v1/orders"), json=checkout,
                       headers={**carol, "Idempotency-Key": uuid.uuid4().hex})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["total"] == quote["payable"], "the order charges what the preview said"
    assert sum(line["payable"]["amount"] for line in order["lines"]) == 70300
    assert [line["payable"] for line in order["lines"]] == \
        [line["payable"] for line in quote["lines"]]

    # The saga locks the coupon and the points before the order can be paid.
    wait_for_status(stack, http, order["id"], carol, "awaiting_payment")
    assert coupon_status(stack, http, carol, welcome["id"]) == "locked"
    points = membership(stack, http, carol)["points"]
    assert (points["balance"], points["locked"]) == (500, 500)

    payment = start_payment(stack, http, carol, order["id"], "balance")
    assert payment["amount"] == money(70300)
    wait_for_status(stack, http, order["id"], carol, "paid")
    wait_until(lambda: coupon_status(stack, http, carol, welcome["id"]) == "used", 60, 0.3,
               "the coupon to be used")
    wait_until(lambda: membership(stack, http, carol)["points"]["locked"] == 0, 60, 0.3,
               "the points to be spent")

    ship_and_deliver(stack, http, admin, order["id"], "SF" + uuid.uuid4().hex[:10].upper())
    wait_for_status(stack, http, order["id"], carol, "delivered")
    assert http.post(stack.url(f"/api/v1/orders/{order['id']}/confirm-receipt"),
                     headers=carol).status_code == 200
    # 1 point per whole yuan paid.
    wait_until(lambda: membership(stack, http, carol)["points"]["balance"] == 500 + 703, 60,
               0.3, "the points earned")

    # The rice cooker goes back: exactly its share of the payment and of the points.
    rice = next(line for line in order["lines"] if line["sku"] == RICE)
    asked = http.post(stack.url("/api/v1/returns"), headers=carol, json={
        "order_id": order["id"], "type": "refund_only",
        "lines": [{"sku": RICE, "quantity": 1}], "reason": "不需要了 changed my mind"})
    assert asked.status_code == 201, asked.text
    approved = http.post(stack.url(f"/api/v1/admin/returns/{asked.json()['id']}/approve"),
                         headers=admin)
    assert approved.status_code == 200, approved.text
    [refund] = wait_until(lambda: events_of(stack, "RefundIssued", order["id"]), 60, 0.3,
                          "the refund")
    assert refund["data"]["amount"] == rice["payable"]

    def returned_points() -> int | None:
        history = membership(stack, http, carol)["history"]["items"]
        moves = [e["delta"] for e in history
                 if e["order_id"] == order["id"] and e["kind"] == "return"]
        return moves[0] if moves else None

    assert wait_until(returned_points, 60, 0.3, "the points back") == rice["points"]

    stats = http.get(stack.url("/api/v1/admin/marketing/stats"), headers=admin).json()
    figures = next(p for p in stats["promotions"]
                   if p["promotion_id"] == offers["promotion"]["id"])
    assert figures["orders"] >= 1 and figures["discount"]["amount"] >= 8000
    coupon = next(c for c in stats["coupons"] if c["template_id"] == offers["new_user"]["id"])
    assert coupon["used"] >= 1


def test_an_order_cancelled_before_payment_gives_its_coupon_back(stack, http, offers):
    dave = sign_up(stack, "dave")
    claimed = http.post(stack.url(f"/api/v1/coupons/{offers['claimable']['id']}/claim"),
                        headers=dave)
    assert claimed.status_code == 201, claimed.text
    coupon = claimed.json()
    again = http.post(stack.url(f"/api/v1/coupons/{offers['claimable']['id']}/claim"),
                      headers=dave)
    assert again.status_code in (409, 422), "one per buyer"
    assert again.headers["Content-Type"].startswith("application/problem+json")

    address_id = next(a["id"] for a in http.get(stack.url("/api/v1/users/me/addresses"),
                                                 headers=dave).json() if a["is_default"])
    placed = http.post(stack.url("/api/v1/orders"), headers={
        **dave, "Idempotency-Key": uuid.uuid4().hex}, json={
        "address_id": address_id, "delivery_method": "express", "coupon_id": coupon["id"],
        "lines": [{"sku": RICE, "quantity": 1}]})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["total"] == money(29900 - 2000), order
    wait_for_status(stack, http, order["id"], dave, "awaiting_payment")
    assert coupon_status(stack, http, dave, coupon["id"]) == "locked"

    # The same coupon cannot go into a second order while it is locked.
    second = http.post(stack.url("/api/v1/checkout/preview"), headers=dave, json={
        "delivery_method": "standard", "coupon_id": coupon["id"],
        "lines": [{"sku": RICE, "quantity": 1}]})
    assert second.status_code == 422, second.text

    cancelled = http.post(stack.url(f"/api/v1/orders/{order['id']}/cancel"), headers=dave)
    assert cancelled.status_code == 200, cancelled.text
    wait_until(lambda: coupon_status(stack, http, dave, coupon["id"]) == "available", 60, 0.3,
               "the coupon back")
