"""A group-buy order is payable only once its stock is reserved AND its place in its
group held (in either order); it is never paid in cash on delivery; its PaymentConfirmed
names its group; cancelled after payment (its group failed), it is refunded."""

from payment import ledger
from payment.models import Payable
from service_runtime.testing.plugin import outbox_events

CAMPAIGN = {"kind": "group_buy", "campaign_id": "gbc_1", "group_id": "grp_1",
            "starts_group": True}
PLACED = {"user_id": "alice", "user_coupon_id": None, "points_used": 0,
          "total": {"amount": 19900, "currency": "CNY"}, "campaign": CAMPAIGN}


def status(db, order_id: str = "ord_g") -> str | None:
    with db.read() as session:
        payable = session.get(Payable, order_id)
        return payable.status if payable else None


def slot_held(apply, order_id: str = "ord_g") -> None:
    apply("GroupSlotHeld", order_id=order_id, user_id="alice", campaign_id="gbc_1",
          group_id="grp_1")


def test_payable_only_after_stock_and_place_in_either_order(db, apply):
    apply("OrderPlaced", order_id="ord_g", **PLACED)
    apply("StockReserved", order_id="ord_g")
    assert status(db) == "awaiting_stock"
    slot_held(apply)
    slot_held(apply)
    assert status(db) == "due"
    apply("GroupSlotHeld", order_id="ord_h", user_id="alice", campaign_id="gbc_1",
          group_id="grp_1")
    apply("OrderPlaced", order_id="ord_h", **PLACED)
    assert status(db, "ord_h") == "awaiting_stock"
    apply("StockReserved", order_id="ord_h")
    assert status(db, "ord_h") == "due"
    due = [e["data"]["order_id"] for e in outbox_events(db, "PaymentDue")]
    assert due == ["ord_g", "ord_h"]


def test_no_cash_on_delivery_and_confirmation_names_the_group(client, db, apply, alice):
    apply("OrderPlaced", order_id="ord_g", **PLACED)
    apply("StockReserved", order_id="ord_g")
    slot_held(apply)
    cod = client.post("/api/v1/payments", headers=alice,
                      json={"order_id": "ord_g", "method": "cod"})
    assert cod.status_code == 422
    assert cod.json["type"] == "urn:shop:problem:campaign-needs-prepayment"
    assert status(db) == "due"
    ledger.credit_opening_balance(db, "alice", 50000, "opening")
    paid = client.post("/api/v1/payments", headers=alice,
                       json={"order_id": "ord_g", "method": "balance"})
    assert paid.status_code == 201, paid.json
    [confirmed] = outbox_events(db, "PaymentConfirmed")
    assert confirmed["data"]["group_id"] == "grp_1"
    # The group failed: the order service cancels the paid order; it is refunded in full.
    apply("OrderCancelled", order_id="ord_g", user_id="alice", cancelled_by="group_buy",
          reason="拼团失败")
    [refund] = outbox_events(db, "RefundIssued")
    assert refund["data"]["amount"]["amount"] == 19900
    assert refund["data"]["fully_refunded"] is True
    with db.read() as session:
        assert ledger.wallet_balance(session, "alice") == 50000


def test_an_ordinary_order_confirms_without_a_group(client, db, apply, alice, due_order):
    ledger.credit_opening_balance(db, "alice", 50000, "opening")
    due_order("ord_1")
    assert client.post("/api/v1/payments", headers=alice,
                       json={"order_id": "ord_1", "method": "balance"}).status_code == 201
    [confirmed] = outbox_events(db, "PaymentConfirmed")
    assert "group_id" not in confirmed["data"]
