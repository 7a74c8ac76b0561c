"""Checkout to after-sales through the gateway: the order saga across order, payment,
logistics, after-sales and the catalog, as a shopper and a merchant see it."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import requests

from e2e_steps import (
    HOME,
    KETTLE,
    MUG,
    PAYMENT_TIMEOUT_S,
    carrier_callback,
    events_of,
    order_of,
    pay_at_provider,
    payable_order,
    place_order,
    request_return,
    ship_and_deliver,
    shipment_of,
    sign_up,
    start_payment,
    wait_for_sku,
    wait_for_status,
    wallet_balance,
)
from payment import sandbox
from payment.providers import Trade, adapter
from service_runtime.db import Database
from service_runtime.ids import utcnow
from service_runtime.testing.processes import wait_until

SF_SECRET = "sandbox-secret-sf"


def product_of(stack, http, sku: str) -> dict:
    found = http.get(stack.url("/api/v1/products"), params={"q": sku.split("-")[0].lower()})
    for item in found.json()["items"]:
        product = http.get(stack.url(f"/api/v1/products/{item['id']}")).json()
        if any(s["sku"] == sku for s in product["skus"]):
            return product
    raise AssertionError(f"no product with {sku}")


def available(stack, http, sku: str) -> int:
    product = product_of(stack, http, sku)
    return next(s["available"] for s in product["skus"] if s["sku"] == sku)


def provider_signed(stack, provider: str, payment_id: str, amount: int,
                    sent_at: datetime) -> tuple[bytes, dict]:
    """A notification signed with the sandbox provider's key, as a captured one replayed
    later would be (the keys live in the payment service's database, as the provider's)."""
    db = Database(stack.envs["payment"]["DATABASE_URL"])
    try:
        trade = Trade(payment_id=payment_id, trade_no="T-replayed", succeeded=True,
                      amount=amount, currency="CNY", notify_id=uuid.uuid4().hex)
        return adapter(provider).build(trade, sandbox.signing_keys(db, provider), sent_at)
    finally:
        db.dispose()


def test_the_whole_journey_from_cart_to_review(stack, http, admin):
    shopper = sign_up(stack, "journey", wallet=0)
    wait_for_sku(stack, http, KETTLE)
    wait_for_sku(stack, http, MUG)
    for sku, quantity in ((KETTLE, 1), (MUG, 2)):
        added = http.post(stack.url("/api/v1/cart/items"), json={"sku": sku, "quantity": quantity},
                          headers=shopper)
        assert added.status_code in (200, 201), added.text

    # Checkout from the cart: the lines and prices come from the cart and the catalog.
    key = uuid.uuid4().hex
    order = place_order(stack, http, shopper, key=key)
    assert order["status"] == "pending"
    assert {(line["sku"], line["quantity"]) for line in order["lines"]} == {(KETTLE, 1), (MUG, 2)}
    assert order["total"] == {"amount": 9900 + 2 * 2500, "currency": "CNY"}
    again = http.post(stack.url("/api/v1/orders"), headers={**shopper, "Idempotency-Key": key},
                      json={"address_id": order["address_id"], "delivery_method": "express"})
    assert again.status_code == 200 and again.json()["id"] == order["id"]
    assert order["shipping_address"] == HOME, "the order keeps a copy of the address"
    order = wait_for_status(stack, http, order["id"], shopper, "awaiting_payment")
    wait_until(lambda: http.get(stack.url("/api/v1/cart"), headers=shopper).json()["lines"] == [],
               30, 0.2, "the bought lines to leave the cart")

    # Pay through the Alipay sandbox: its page, its form, its signed notification.
    payment = start_payment(stack, http, shopper, order["id"], "alipay")
    assert payment["status"] == "pending"
    assert payment["next_action"]["type"] == "redirect"
    pay_at_provider(stack, http, payment)
    wait_for_status(stack, http, order["id"], shopper, "paid")
    paid = http.get(stack.url(f"/api/v1/payments/{payment['id']}"), headers=shopper).json()
    assert paid["status"] == "succeeded"

    # The merchant ships it to the address chosen at checkout; the carrier reports its way
    # to the door.
    shipment = shipment_of(stack, http, admin, order["id"])
    shipped = http.post(stack.url(f"/api/v1/admin/shipments/{shipment['id']}/ship"),
                        headers=admin, json={"carrier": "sf", "tracking_number": "SF1234567890"})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["shipping_address"] == HOME
    wait_for_status(stack, http, order["id"], shopper, "shipped")
    in_transit = carrier_callback(stack, http, "sf", SF_SECRET, "SF1234567890",
                                  "in_transit", "out_for_delivery")
    assert in_transit.status_code == 200, in_transit.text
    tracking = http.get(stack.url(f"/api/v1/orders/{order['id']}/tracking"), headers=shopper)
    assert tracking.status_code == 200, tracking.text
    [parcel] = tracking.json()["shipments"]
    assert (parcel["carrier"], parcel["tracking_number"]) == ("sf", "SF1234567890")
    assert parcel["estimated_delivery"]
    assert [e["status"] for e in parcel["timeline"]][-2:] == ["in_transit", "out_for_delivery"]
    assert carrier_callback(stack, http, "sf", SF_SECRET, "SF1234567890",
                            "delivered").status_code == 200
    wait_for_status(stack, http, order["id"], shopper, "delivered")

    confirmed = http.post(stack.url(f"/api/v1/orders/{order['id']}/confirm-receipt"),
                          headers=shopper)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "completed"

    # One mug comes back: the merchant approves, the money goes back the way it came.
    return_id = request_return(stack, http, shopper, order["id"], "refund_only",
                               [{"sku": MUG, "quantity": 1}], "杯子有裂纹 cracked")["id"]
    approved = http.post(stack.url(f"/api/v1/admin/returns/{return_id}/approve"), headers=admin)
    assert approved.status_code == 200, approved.text

    def refunded():
        progress = http.get(stack.url(f"/api/v1/returns/{return_id}"), headers=shopper).json()
        return progress if progress["status"] == "refunded" else None

    wait_until(refunded, 60, 0.3, "the return to be refunded")
    final = wait_for_status(stack, http, order["id"], shopper, "partially_refunded")
    assert final["refunded_amount"] == {"amount": 2500, "currency": "CNY"}
    [refund] = events_of(stack, "RefundIssued", order["id"])
    assert refund["data"]["amount"] == {"amount": 2500, "currency": "CNY"}
    assert (refund["data"]["method"], refund["data"]["destination"]) == ("alipay", "original")
    # The payment shows the money that went back, and the refund itself.
    refunded_payment = http.get(stack.url(f"/api/v1/payments/{payment['id']}"),
                                headers=shopper).json()
    assert refunded_payment["status"] == "succeeded"
    assert refunded_payment["amount_refunded"] == {"amount": 2500, "currency": "CNY"}
    [shown] = refunded_payment["refunds"]
    assert shown["id"] == refund["data"]["refund_id"]
    assert (shown["amount"], shown["status"], shown["return_id"], shown["duplicate_payment"]) \
        == ({"amount": 2500, "currency": "CNY"}, "succeeded", return_id, False)
    assert shown["settled_at"] is not None
    changes = [e["status"] for i, e in enumerate(final["timeline"])
               if i == 0 or final["timeline"][i - 1]["status"] != e["status"]]
    assert changes == ["pending", "awaiting_payment", "paid", "shipped", "delivered", "completed",
                       "partially_refunded"]
    assert any("refund_only requested" in e["note"] for e in final["timeline"])

    # A review of the kettle by its buyer lands on the product page.
    kettle = product_of(stack, http, KETTLE)
    reviewed = http.post(stack.url("/api/v1/reviews"), headers=shopper, json={
        "order_id": order["id"], "product_id": kettle["id"], "rating": 4,
        "text": "烧水快 boils fast"})
    assert reviewed.status_code == 201, reviewed.text
    twice = http.post(stack.url("/api/v1/reviews"), headers=shopper, json={
        "order_id": order["id"], "product_id": kettle["id"], "rating": 1, "text": "again"})
    assert twice.status_code == 409
    reviews = http.get(stack.url(f"/api/v1/products/{kettle['id']}/reviews")).json()
    assert any(r["text"] == "烧水快 boils fast" for r in reviews["items"])
    wait_until(lambda: product_of(stack, http, KETTLE)["rating"]["count"]
               == kettle["rating"]["count"] + 1, 60, 0.5, "the catalog's rating summary")


def test_an_unpaid_order_is_cancelled_at_its_deadline_and_its_stock_released(
        stack, http, alice, admin):
    wait_for_sku(stack, http, MUG)
    before = available(stack, http, MUG)
    order = payable_order(stack, http, alice, [{"sku": MUG, "quantity": 3}])
    wait_until(lambda: available(stack, http, MUG) == before - 3, 30, 0.3,
               "the reservation to show in the catalog")
    cancelled = wait_for_status(stack, http, order["id"], alice, "cancelled",
                                timeout=PAYMENT_TIMEOUT_S + 60)
    assert cancelled["timeline"][-1]["status"] == "cancelled"
    wait_until(lambda: available(stack, http, MUG) == before, 30, 0.3, "the stock to return")
    [event] = events_of(stack, "OrderCancelled", order["id"])
    assert event["data"]["cancelled_by"] == "payment_deadline"
    too_late = http.post(stack.url("/api/v1/payments"), headers=alice,
                         json={"order_id": order["id"], "method": "balance"})
    assert too_late.status_code == 409


def test_forged_and_replayed_provider_callbacks_change_nothing(stack, http, alice, admin):
    wait_for_sku(stack, http, KETTLE)
    order = payable_order(stack, http, alice, [{"sku": KETTLE, "quantity": 1}])
    payment = start_payment(stack, http, alice, order["id"], "alipay")

    def notification() -> dict | None:
        sent = http.get(stack.url("/api/v1/payments/sandbox/notifications"),
                        params={"payment_id": payment["id"]}, headers=admin).json()
        return sent[0] if sent and sent[0]["acknowledged"] else None

    callback = stack.url("/api/v1/payments/callbacks/alipay")
    # A success notification replayed long after it was sent (the provider's own signature,
    # 20 minutes old) is refused and pays nothing.
    stale_body, stale_headers = provider_signed(stack, "alipay", payment["id"], 9900,
                                                utcnow() - timedelta(minutes=20))
    stale = http.post(callback, data=stale_body, headers=stale_headers)
    assert stale.status_code == 400, stale.text
    assert stale.json()["type"] == "urn:shop:problem:notification-refused"
    assert http.get(stack.url(f"/api/v1/payments/{payment['id']}"),
                    headers=alice).json()["status"] == "pending"
    # The cashier without its link's signed token: nobody else can fail the payment.
    anonymous = http.post(stack.url(f"/api/v1/payments/sandbox/alipay/{payment['id']}"),
                          data={"payment_id": payment["id"], "outcome": "failure"})
    assert anonymous.status_code == 403, anonymous.text
    assert anonymous.json()["type"] == "urn:shop:problem:cashier-token-invalid"

    pay_at_provider(stack, http, payment)
    wait_for_status(stack, http, order["id"], alice, "paid")
    real = wait_until(notification, 30, 0.2, "the sandbox's acknowledged notification")
    headers = {"Content-Type": real["headers"].get("Content-Type",
                                                   "application/x-www-form-urlencoded")}

    # The same notification again (providers redeliver): acknowledged, paid once.
    replayed = http.post(callback, data=real["body"].encode(), headers=headers)
    assert replayed.status_code == 200 and replayed.text == "success"
    # Forged: the amount changed after signing, or no signature at all.
    forged = real["body"].replace("total_amount=99.00", "total_amount=0.01")
    assert forged != real["body"]
    assert http.post(callback, data=forged.encode(), headers=headers).status_code == 400
    unsigned = "&".join(p for p in real["body"].split("&") if not p.startswith("sign="))
    assert http.post(callback, data=unsigned.encode(), headers=headers).status_code == 400

    wait_until(lambda: len(events_of(stack, "PaymentConfirmed", order["id"])) >= 1, 30)
    assert len(events_of(stack, "PaymentConfirmed", order["id"])) == 1
    assert events_of(stack, "RefundIssued", order["id"]) == []
    assert http.get(stack.url(f"/api/v1/payments/{payment['id']}"),
                    headers=alice).json()["status"] == "succeeded"


def test_a_paid_order_cancelled_by_the_buyer_returns_the_money_to_the_wallet(
        stack, http, admin):
    shopper = sign_up(stack, "canceller", wallet=50_000)
    wait_for_sku(stack, http, KETTLE)
    order = payable_order(stack, http, shopper, [{"sku": KETTLE, "quantity": 1}])
    payment = start_payment(stack, http, shopper, order["id"], "balance")
    assert payment["status"] == "succeeded"
    assert wallet_balance(stack, http, shopper) == 50_000 - 9900
    wait_for_status(stack, http, order["id"], shopper, "paid")
    cancelled = http.post(stack.url(f"/api/v1/orders/{order['id']}/cancel"), headers=shopper)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    wait_until(lambda: wallet_balance(stack, http, shopper) == 50_000, 60, 0.3,
               "the refund to reach the wallet")
    again = http.post(stack.url(f"/api/v1/orders/{order['id']}/cancel"), headers=shopper)
    assert again.status_code == 409
    assert len(events_of(stack, "RefundIssued", order["id"])) == 1


def test_nobody_reads_another_users_order_payment_tracking_or_return(
        stack, http, alice, bob, admin):
    wait_for_sku(stack, http, KETTLE)
    order = payable_order(stack, http, alice, [{"sku": KETTLE, "quantity": 1}])
    payment = start_payment(stack, http, alice, order["id"], "balance")
    wait_for_status(stack, http, order["id"], alice, "paid")
    shipment_of(stack, http, admin, order["id"])
    tracking = f"/api/v1/orders/{order['id']}/tracking"
    assert http.get(stack.url(tracking), headers=alice).status_code == 200

    return_id = request_return(stack, http, alice, order["id"], "refund_only",
                               [{"sku": KETTLE, "quantity": 1}], "changed my mind")["id"]
    for path in (f"/api/v1/orders/{order['id']}", f"/api/v1/payments/{payment['id']}",
                 tracking, f"/api/v1/returns/{return_id}"):
        response = http.get(stack.url(path), headers=bob)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/problem+json"
    assert http.post(stack.url(f"/api/v1/orders/{order['id']}/cancel"),
                     headers=bob).status_code == 404
    assert http.post(stack.url("/api/v1/returns"), headers=bob, json={
        "order_id": order["id"], "type": "refund_only",
        "lines": [{"sku": KETTLE, "quantity": 1}], "reason": "not mine"}).status_code == 404


def test_many_concurrent_orders_for_the_last_units_never_oversell(stack, http, admin):
    sku = "TEA-LONGJING-250G"
    wait_for_sku(stack, http, sku)
    # Three units left to sell: on hand is what other tests' orders still hold, plus 3
    # (an earlier test's paid order keeps its units reserved until it ships).
    stocked = http.put(stack.url(f"/api/v1/admin/skus/{sku}/stock"), headers=admin,
                       json={"quantity": 3})
    assert stocked.status_code == 200, stocked.text
    if stocked.json()["reserved"]:
        stocked = http.put(stack.url(f"/api/v1/admin/skus/{sku}/stock"), headers=admin,
                           json={"quantity": 3 + stocked.json()["reserved"]})
    assert stocked.json()["available"] == 3, stocked.text
    shoppers = [sign_up(stack, f"rush{i}", wallet=0) for i in range(8)]

    def buy(headers: dict) -> str:
        with requests.Session() as session:
            return place_order(stack, session, headers, [{"sku": sku, "quantity": 1}])["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        order_ids = list(pool.map(buy, shoppers))
    outcomes = [wait_for_status(stack, http, order_id, headers, "awaiting_payment",
                                "cancelled")["status"]
                for order_id, headers in zip(order_ids, shoppers, strict=True)]
    assert outcomes.count("awaiting_payment") == 3, outcomes
    assert outcomes.count("cancelled") == 5, outcomes
    for order_id, outcome in zip(order_ids, outcomes, strict=True):
        if outcome == "cancelled":
            [event] = events_of(stack, "OrderCancelled", order_id)
            assert event["data"]["cancelled_by"] == "stock"


def test_cash_on_delivery_ships_unpaid_and_is_paid_at_the_door(stack, http, admin):
    shopper = sign_up(stack, "cod", wallet=0)
    wait_for_sku(stack, http, KETTLE)
    order = payable_order(stack, http, shopper, [{"sku": KETTLE, "quantity": 1}])
    payment = start_payment(stack, http, shopper, order["id"], "cod")
    assert payment["status"] == "awaiting_delivery"
    ship_and_deliver(stack, http, admin, order["id"], "SF2000000002")
    delivered = wait_for_status(stack, http, order["id"], shopper, "delivered")
    assert "paid" not in [e["status"] for e in delivered["timeline"]], "it shipped unpaid"

    def paid_in_cash():
        current = http.get(stack.url(f"/api/v1/payments/{payment['id']}"), headers=shopper)
        return current.json()["status"] == "succeeded"

    wait_until(paid_in_cash, 60, 0.3, "the courier's cash to confirm the payment")
    [confirmed] = events_of(stack, "PaymentConfirmed", order["id"])
    assert confirmed["data"]["method"] == "cod"
    wait_until(lambda: order_of(stack, http, order["id"], shopper)["payment"]["paid_at"], 60, 0.3,
               "the order to know it is paid")


def test_returned_goods_are_refunded_to_the_wallet_and_go_back_on_hand(stack, http, admin):
    shopper = sign_up(stack, "returner", wallet=20_000)
    wait_for_sku(stack, http, MUG)
    order = payable_order(stack, http, shopper, [{"sku": MUG, "quantity": 2}])
    start_payment(stack, http, shopper, order["id"], "balance")
    ship_and_deliver(stack, http, admin, order["id"], "SF3000000003")
    wait_for_status(stack, http, order["id"], shopper, "delivered")
    on_hand_before = available(stack, http, MUG)

    return_id = request_return(stack, http, shopper, order["id"], "return_refund",
                               [{"sku": MUG, "quantity": 1}], "不喜欢颜色 wrong colour")["id"]
    assert http.post(stack.url(f"/api/v1/admin/returns/{return_id}/approve"),
                     headers=admin).status_code == 200
    # Two mugs and express delivery under ¥99: the line's payable holds the shipping too,
    # and one mug of two gives back half of it.
    paid = order["total"]["amount"]
    assert paid == 5000 + 2000
    assert wallet_balance(stack, http, shopper) == 20_000 - paid, "no refund before the goods"
    received = http.post(stack.url(f"/api/v1/admin/returns/{return_id}/receive"), headers=admin)
    assert received.status_code == 200, received.text
    wait_until(lambda: wallet_balance(stack, http, shopper) == 20_000 - paid + paid // 2, 60, 0.3,
               "the refund to reach the wallet")
    wait_until(lambda: available(stack, http, MUG) == on_hand_before + 1, 60, 0.3,
               "the returned mug to be back on hand")
    progress = http.get(stack.url(f"/api/v1/returns/{return_id}"), headers=shopper).json()
    wait_until(lambda: http.get(stack.url(f"/api/v1/returns/{return_id}"), headers=shopper)
               .json()["status"] == "refunded", 60, 0.3, "the return to be refunded")
    assert progress["type"] == "return_refund"
    wait_for_status(stack, http, order["id"], shopper, "partially_refunded")
