"""An order that uses a coupon or points is payable (``PaymentDue``) only once its stock is
reserved AND its coupon locked AND its points locked, whichever order the events arrive in
(they come on different topics)."""

import itertools

import pytest

from payment.domain import holds_complete
from payment.models import Payable
from service_runtime.testing.plugin import outbox_events

HOLDS = {"StockReserved": {}, "CouponLocked": {"user_coupon_id": "ucp_1"},
         "PointsLocked": {"points": 500}}
PLACED = {"user_coupon_id": "ucp_1", "points_used": 500}


def payment_due_events(db, order_id: str = "ord_1") -> list[dict]:
    return [e for e in outbox_events(db, "PaymentDue") if e["data"]["order_id"] == order_id]


def status(db, order_id: str = "ord_1") -> str | None:
    with db.transaction() as session:
        payable = session.get(Payable, order_id)
        return payable.status if payable else None


@pytest.mark.parametrize("arrivals", list(itertools.permutations(["OrderPlaced", *HOLDS])),
                         ids="-".join)
def test_payment_due_comes_after_the_last_of_placed_stock_coupon_and_points(
        db, apply, arrivals):
    """All 24 arrival orders, each event twice: PaymentDue exactly once, after the last."""
    for position, event_type in enumerate(arrivals):
        data = PLACED if event_type == "OrderPlaced" else HOLDS[event_type]
        for _ in range(2):
            apply(event_type, order_id="ord_1", user_id="alice", **data)
        last = position == len(arrivals) - 1
        assert len(payment_due_events(db)) == (1 if last else 0), event_type
    assert status(db) == "due"


@pytest.mark.parametrize("missing", list(HOLDS))
def test_without_one_hold_the_order_waits(db, apply, missing):
    apply("OrderPlaced", order_id="ord_1", user_id="alice", **PLACED)
    for event_type, data in HOLDS.items():
        if event_type != missing:
            apply(event_type, order_id="ord_1", user_id="alice", **data)
    assert status(db) == "awaiting_stock"
    assert payment_due_events(db) == []


@pytest.mark.parametrize("placed, holds", [
    ({"user_coupon_id": "ucp_1", "points_used": 0}, ["StockReserved", "CouponLocked"]),
    ({"user_coupon_id": None, "points_used": 500}, ["PointsLocked", "StockReserved"]),
    ({"user_coupon_id": None, "points_used": 0}, ["StockReserved"]),
], ids=["coupon-only", "points-only", "neither"])
def test_only_the_holds_the_order_uses_are_awaited(db, apply, placed, holds):
    apply("OrderPlaced", order_id="ord_1", user_id="alice", **placed)
    for event_type in holds[:-1]:
        apply(event_type, order_id="ord_1", user_id="alice", **HOLDS[event_type])
        assert status(db) == "awaiting_stock"
    apply(holds[-1], order_id="ord_1", user_id="alice", **HOLDS[holds[-1]])
    assert status(db) == "due"
    assert len(payment_due_events(db)) == 1


def test_a_cancelled_order_is_void_and_a_late_lock_changes_nothing(db, apply):
    apply("OrderPlaced", order_id="ord_1", user_id="alice", **PLACED)
    apply("StockReserved", order_id="ord_1")
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="coupon")
    apply("CouponLocked", order_id="ord_1", user_id="alice", user_coupon_id="ucp_1")
    apply("PointsLocked", order_id="ord_1", user_id="alice", points=500)
    assert status(db) == "void"
    assert payment_due_events(db) == []


def test_the_order_is_not_payable_before_its_coupon_is_locked(client, apply, alice):
    apply("OrderPlaced", order_id="ord_1", user_id="alice", **PLACED)
    apply("StockReserved", order_id="ord_1")
    apply("PointsLocked", order_id="ord_1", user_id="alice", points=500)
    early = client.post("/api/v1/payments", headers=alice,
                        json={"order_id": "ord_1", "method": "alipay"})
    assert early.status_code == 409
    assert early.json["type"] == "urn:shop:problem:order-not-payable-yet"


def test_holds_complete_rule():
    assert holds_complete(True, False, False, needs_coupon=False, needs_points=False)
    assert not holds_complete(False, True, True, needs_coupon=True, needs_points=True)
    assert not holds_complete(True, False, True, needs_coupon=True, needs_points=True)
    assert not holds_complete(True, True, False, needs_coupon=True, needs_points=True)
    assert holds_complete(True, True, True, needs_coupon=True, needs_points=True)
