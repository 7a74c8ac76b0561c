"""The order saga: consumed events (duplicates, any order), timers, buyer commands."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from order_quote_server import Coupon

from event_contracts import REGISTRY
from order.deadlines import (
    cancel_if_overdue,
    cancel_overdue,
    complete_delivered,
)
from service_runtime.consumer import Event, decode
from service_runtime.testing.plugin import outbox_events

# Standard delivery of 149.00 of goods is free (the marketing quote): the total is the goods.
BODY = {"address_id": "addr_1", "delivery_method": "standard",
        "lines": [{"sku": "KETTLE", "quantity": 1}, {"sku": "MUG", "quantity": 2}]}
TOTAL = {"amount": 14900, "currency": "CNY"}
PAID_AT = "2026-11-22T08:16:01+00:00"
EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"


def inbound(event_type: str, event_id: str | None = None, **changes) -> Event:
    """The contract's example event with ``data`` fields changed, decoded as the consumer
    decodes it: proof that this service accepts what the contract says."""
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    raw["id"] = event_id or str(uuid.uuid4())
    raw["data"].update(changes)
    raw["key"] = raw["data"].get("order_id", raw["key"])
    return decode(json.dumps(raw).encode())


@pytest.fixture
def place(client, alice):
    def placed(**changes) -> str:
        response = client.post("/api/v1/orders", json={**BODY, **changes}, headers=alice)
        assert response.status_code == 201, response.json
        return response.json["id"]
    return placed


@pytest.fixture
def order_of(client, alice):
    def fetch(order_id: str) -> dict:
        response = client.get(f"/api/v1/orders/{order_id}", headers=alice)
        assert response.status_code == 200
        return response.json
    return fetch


def payable(order_id):
    """The payment service's word that the order can be paid (it saw the stock reserved)."""
    return inbound("PaymentDue", order_id=order_id, user_id="alice", amount=TOTAL)


def paid(order_id, payment_id="pay_1", method="alipay"):
    return inbound("PaymentConfirmed", order_id=order_id, payment_id=payment_id,
                   user_id="alice", amount=TOTAL, method=method, confirmed_at=PAID_AT)


def shipped(order_id, **changes):
    return inbound("Shipped", order_id=order_id, **changes)


def delivered(order_id, at="2026-11-25T10:00:00+00:00", **changes):
    return inbound("Delivered", order_id=order_id, delivered_at=at, **changes)


def refund(order_id, amount, refunded_total, fully, refund_id="rfd_1"):
    return inbound("RefundIssued", order_id=order_id, user_id="alice", refund_id=refund_id,
                   amount={"amount": amount, "currency": "CNY"},
                   refunded_total={"amount": refunded_total, "currency": "CNY"},
                   fully_refunded=fully)


def statuses(order: dict) -> list[str]:
    return [entry["status"] for entry in order["timeline"]]


def cancelled_events(db, order_id: str) -> list[dict]:
    return [e["data"] for e in outbox_events(db, "OrderCancelled")
            if e["data"]["order_id"] == order_id]


# -- placing -------------------------------------------------------------------------------


def test_a_new_order_is_pending_with_a_payment_deadline_coupon_and_product_ids(
        client, db, alice, consumer, order_of, reconfigure, marketing):
    reconfigure(payment_timeout_s=600)
    marketing.give(Coupon("uc_welcome", "alice", amount_off=1000), code="WELCOME10")
    consumer.apply(inbound("ProductUpdated", product_id=7, skus=[
        {"sku": "KETTLE", "price": {"amount": 9900, "currency": "CNY"}, "attributes": {},
         "available": 3}], updated_at=datetime.now(UTC).isoformat()))
    response = client.post("/api/v1/orders", json={**BODY, "coupon_code": "WELCOME10"},
                           headers=alice)
    assert response.status_code == 201
    order = response.json
    assert order["status"] == "pending"
    assert order["coupon_code"] == "WELCOME10"
    assert order["total"] == {"amount": 14900 - 1000, "currency": "CNY"}  # 10.00 off
    assert order["user_coupon_id"] == "uc_welcome"
    assert order["payment"] is None
    assert order["refunded_amount"] == {"amount": 0, "currency": "CNY"}
    created = datetime.fromisoformat(order["created_at"])
    assert datetime.fromisoformat(order["payment_due_at"]) == created + timedelta(seconds=600)
    assert [line["product_id"] for line in order["lines"]] == [7, None]

    [event] = outbox_events(db, "OrderPlaced")
    REGISTRY.validate_outgoing("OrderPlaced", 1, event["data"])
    assert event["data"]["coupon_code"] == "WELCOME10"
    assert event["data"]["user_coupon_id"] == "uc_welcome"
    assert event["data"]["payment_due_at"] == order["payment_due_at"]
    assert [line["product_id"] for line in event["data"]["lines"]] == [7, None]
    assert order_of(order["id"]) == order


# -- stock ---------------------------------------------------------------------------------


def test_payment_due_awaits_payment_once(place, consumer, order_of):
    order_id = place()
    assert consumer.apply(payable(order_id))
    consumer.apply(payable(order_id))  # redelivered with a new id: nothing new
    order = order_of(order_id)
    assert order["status"] == "awaiting_payment"
    assert statuses(order) == ["pending", "awaiting_payment"]
    assert order["timeline"][-1]["note"] == "stock reserved; payment due"


def test_only_the_payment_service_makes_an_order_payable():
    """The catalog's StockReserved reaches the payment service independently: moving the
    order on it would show it payable before a payment is accepted (409 not-payable-yet)."""
    from order.handlers import handlers

    assert "PaymentDue" in handlers.event_types
    assert "StockReserved" not in handlers.event_types
    assert "StockRejected" in handlers.event_types  # refused stock still cancels


def test_stock_rejected_cancels_and_emits_order_cancelled_once(place, consumer, db, order_of):
    order_id = place()
    rejected = inbound("StockRejected", order_id=order_id, lines=[
        {"sku": "KETTLE", "requested": 1, "available": 5},
        {"sku": "MUG", "requested": 2, "available": 0}])
    assert consumer.apply(rejected)
    assert not consumer.apply(rejected)  # same event id: the inbox
    consumer.apply(inbound("StockRejected", order_id=order_id))  # a new id: still once
    consumer.apply(payable(order_id))  # cannot follow a refusal; stays cancelled
    order = order_of(order_id)
    assert order["status"] == "cancelled"
    assert "MUG" in order["timeline"][-1]["note"]
    [event] = cancelled_events(db, order_id)
    assert event["cancelled_by"] == "stock"
    assert event["lines"] == [{"sku": "KETTLE", "quantity": 1}, {"sku": "MUG", "quantity": 2}]
    REGISTRY.validate_outgoing("OrderCancelled", 1, event)


@pytest.mark.parametrize("cancel", ["buyer", "payment_deadline"])
def test_payment_due_after_a_cancellation_changes_nothing(place, consumer, client, alice, db,
                                                          order_of, cancel):
    order_id = place()
    if cancel == "buyer":
        assert client.post(f"/api/v1/orders/{order_id}/cancel",
                           headers=alice).status_code == 200
    else:
        assert cancel_overdue(db, datetime.now(UTC) + timedelta(days=1)) == 1
    consumer.apply(payable(order_id))  # the payment service voids it on OrderCancelled
    order = order_of(order_id)
    assert order["status"] == "cancelled"
    assert statuses(order) == ["pending", "cancelled"]
    assert len(cancelled_events(db, order_id)) == 1


def test_the_deadline_timer_and_payment_due_never_both_move_an_order(place, consumer, db,
                                                                       order_of):
    """The timer read the order as pending; PaymentDue committed before its update: the
    timer skips it and cancels it as awaiting_payment on a later pass if still unpaid."""
    order_id = place()
    late = datetime.now(UTC) + timedelta(days=1)
    consumer.apply(payable(order_id))
    assert cancel_if_overdue(db, order_id, "pending", late) is False
    assert order_of(order_id)["status"] == "awaiting_payment"
    assert cancelled_events(db, order_id) == []
    assert cancel_overdue(db, late) == 1
    assert statuses(order_of(order_id)) == ["pending", "awaiting_payment", "cancelled"]


def test_cash_on_delivery_chosen_before_payment_due_still_awaits_delivery(place, consumer,
                                                                          db, order_of):
    order_id = place()
    consumer.apply(inbound("CashOnDeliveryChosen", order_id=order_id, payment_id="pay_cod"))
    consumer.apply(payable(order_id))
    order = order_of(order_id)
    assert order["status"] == "awaiting_payment"
    assert order["payment"]["cash_on_delivery"] is True
    assert cancel_overdue(db, datetime.now(UTC) + timedelta(days=1)) == 0


def test_cash_collected_before_payment_due_never_makes_the_order_paid(place, consumer,
                                                                      order_of):
    # The order worker lags on PaymentDue while the parcel went out and the cash came in.
    order_id = place()
    consumer.apply(inbound("CashOnDeliveryChosen", order_id=order_id, payment_id="pay_cod"))
    consumer.apply(paid(order_id, "pay_cod", method="cod"))
    consumer.apply(payable(order_id))
    order = order_of(order_id)
    assert order["status"] == "awaiting_payment"
    assert "paid" not in statuses(order)
    consumer.apply(shipped(order_id))
    assert order_of(order_id)["status"] == "shipped"


# -- payment -------------------------------------------------------------------------------


def test_payment_confirmed_makes_an_awaiting_order_paid_once(place, consumer, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id))
    consumer.apply(paid(order_id))  # duplicate with a new event id
    order = order_of(order_id)
    assert order["status"] == "paid"
    assert statuses(order) == ["pending", "awaiting_payment", "paid"]
    assert order["payment"] == {"method": "alipay", "payment_id": "pay_1",
                                "paid_at": PAID_AT, "cash_on_delivery": False}


def test_payment_before_payment_due_is_remembered_then_goes_straight_to_paid(
        place, consumer, order_of):
    order_id = place()
    consumer.apply(paid(order_id))
    order = order_of(order_id)
    assert order["status"] == "pending"
    assert order["payment"]["payment_id"] == "pay_1"
    consumer.apply(payable(order_id))
    order = order_of(order_id)
    assert order["status"] == "paid"
    assert statuses(order) == ["pending", "pending", "awaiting_payment", "paid"]


def test_payment_on_a_cancelled_order_is_only_noted(place, consumer, client, alice, db,
                                                    order_of):
    order_id = place()
    assert client.post(f"/api/v1/orders/{order_id}/cancel", headers=alice).status_code == 200
    consumer.apply(paid(order_id))
    order = order_of(order_id)
    assert order["status"] == "cancelled"
    assert "refunded" in order["timeline"][-1]["note"]
    assert len(cancelled_events(db, order_id)) == 1


def test_a_second_payment_on_a_paid_order_is_noted_not_a_transition(place, consumer,
                                                                    order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id, "pay_1"))
    consumer.apply(paid(order_id, "pay_2"))
    order = order_of(order_id)
    assert order["status"] == "paid"
    assert order["payment"]["payment_id"] == "pay_1"
    assert "pay_2" in order["timeline"][-1]["note"]


def test_payment_failed_is_a_note(place, consumer, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(inbound("PaymentFailed", order_id=order_id, reason="card declined"))
    order = order_of(order_id)
    assert order["status"] == "awaiting_payment"
    assert "card declined" in order["timeline"][-1]["note"]


def test_cash_on_delivery_ships_unpaid_and_is_paid_on_delivery(place, consumer, db,
                                                               order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    cod = inbound("CashOnDeliveryChosen", order_id=order_id, payment_id="pay_cod")
    consumer.apply(cod)
    consumer.apply(inbound("CashOnDeliveryChosen", order_id=order_id, payment_id="pay_cod"))
    far_future = datetime.now(UTC) + timedelta(days=1)
    assert cancel_overdue(db, far_future) == 0  # no payment deadline any more
    consumer.apply(shipped(order_id))
    assert order_of(order_id)["status"] == "shipped"
    consumer.apply(delivered(order_id))
    consumer.apply(paid(order_id, "pay_cod", method="cod"))
    order = order_of(order_id)
    assert order["status"] == "delivered"
    assert statuses(order) == ["pending", "awaiting_payment", "awaiting_payment", "shipped",
                               "delivered", "delivered"]
    assert order["payment"] == {"method": "cod", "payment_id": "pay_cod",
                                "paid_at": PAID_AT, "cash_on_delivery": True}



def test_cash_collected_before_shipped_is_seen_never_makes_the_order_paid(place, consumer,
                                                                          order_of):
    # PaymentConfirmed (payment topic) may overtake Shipped and Delivered (logistics topic).
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(inbound("CashOnDeliveryChosen", order_id=order_id, payment_id="pay_cod"))
    consumer.apply(paid(order_id, "pay_cod", method="cod"))
    assert order_of(order_id)["status"] == "awaiting_payment"
    consumer.apply(delivered(order_id))
    consumer.apply(shipped(order_id))
    order = order_of(order_id)
    assert order["status"] == "delivered"
    assert "paid" not in statuses(order)
    assert order["payment"]["paid_at"] == PAID_AT


def test_cash_confirmed_without_the_choice_seen_still_ships_unpaid(place, consumer, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id, "pay_cod", method="cod"))
    consumer.apply(shipped(order_id))
    order = order_of(order_id)
    assert statuses(order)[-1] == "shipped"
    assert "paid" not in statuses(order)
    assert order["payment"]["cash_on_delivery"] is True

# -- shipping ------------------------------------------------------------------------------


def test_shipped_and_delivered_move_the_order_and_ignore_replacements(place, consumer,
                                                                      order_of):
    from order.handlers import handlers

    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id))
    # An exchange's replacement parcel has events of its own, which never reach the order.
    assert not {"ReplacementShipped", "ReplacementDelivered"} & set(handlers.event_types)
    assert order_of(order_id)["status"] == "paid"
    consumer.apply(shipped(order_id))
    consumer.apply(shipped(order_id))  # duplicate
    consumer.apply(delivered(order_id))
    consumer.apply(delivered(order_id))
    order = order_of(order_id)
    assert order["status"] == "delivered"
    assert statuses(order) == ["pending", "awaiting_payment", "paid", "shipped", "delivered"]


def test_delivered_before_shipped_and_shipped_before_payment_due_catch_up(place, consumer,
                                                                    order_of):
    order_id = place()
    consumer.apply(paid(order_id))
    consumer.apply(delivered(order_id))  # logistics is ahead of PaymentDue
    order = order_of(order_id)
    assert order["status"] == "delivered"
    assert statuses(order) == ["pending", "pending", "awaiting_payment", "paid", "shipped",
                               "delivered"]
    consumer.apply(shipped(order_id))
    consumer.apply(payable(order_id))
    assert statuses(order_of(order_id)) == statuses(order)


def test_shipped_on_a_cancelled_order_is_a_note(place, consumer, client, alice, order_of):
    order_id = place()
    client.post(f"/api/v1/orders/{order_id}/cancel", headers=alice)
    consumer.apply(shipped(order_id))
    order = order_of(order_id)
    assert order["status"] == "cancelled"
    assert "after cancellation" in order["timeline"][-1]["note"]


# -- buyer commands --------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [[], ["payable"], ["payable", "paid"]])
def test_buyer_cancels_until_shipped_once(place, consumer, client, alice, db, steps):
    order_id = place()
    if "payable" in steps:
        consumer.apply(payable(order_id))
    if "paid" in steps:
        consumer.apply(paid(order_id))
    response = client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "changed mind"},
                           headers=alice)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled"
    assert response.json["timeline"][-1]["status"] == "cancelled"
    again = client.post(f"/api/v1/orders/{order_id}/cancel", headers=alice)
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert again.json["type"] == "urn:shop:problem:order-already-cancelled"
    [event] = cancelled_events(db, order_id)
    assert event["cancelled_by"] == "buyer"
    assert event["reason"] == "changed mind"
    assert event["user_id"] == "alice"


def test_cancel_after_shipping_is_a_409_and_others_orders_are_404(place, consumer, client,
                                                                  alice, bob, db):
    order_id = place()
    assert client.post(f"/api/v1/orders/{order_id}/cancel", headers=bob).status_code == 404
    assert client.post(f"/api/v1/orders/{order_id}/confirm-receipt",
                       headers=bob).status_code == 404
    assert client.post("/api/v1/orders/ord_nope/cancel", headers=alice).status_code == 404
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id))
    consumer.apply(shipped(order_id))
    response = client.post(f"/api/v1/orders/{order_id}/cancel", headers=alice)
    assert response.status_code == 409
    assert response.json["type"] == "urn:shop:problem:order-not-cancellable"
    bad = client.post(f"/api/v1/orders/{order_id}/cancel", json={"why": "x"}, headers=alice)
    assert bad.status_code == 422
    assert cancelled_events(db, order_id) == []


@pytest.mark.parametrize("reach", ["shipped", "delivered"])
def test_confirm_receipt_completes_once(place, consumer, client, alice, db, reach):
    order_id = place()
    early = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=alice)
    assert early.status_code == 409
    assert early.json["type"] == "urn:shop:problem:order-not-receivable"
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id))
    consumer.apply(shipped(order_id))
    if reach == "delivered":
        consumer.apply(delivered(order_id))
    response = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=alice)
    assert response.status_code == 200
    assert response.json["status"] == "completed"
    again = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=alice)
    assert again.status_code == 409
    assert again.json["type"] == "urn:shop:problem:order-already-completed"
    [event] = outbox_events(db, "OrderCompleted")
    assert event["data"]["completed_by"] == "buyer"
    assert event["data"]["order_id"] == order_id
    consumer.apply(delivered(order_id))  # late: completed stays completed
    assert client.get(f"/api/v1/orders/{order_id}", headers=alice).json["status"] == "completed"


def test_list_filters_by_status(place, consumer, client, alice):
    first, second = place(), place()
    consumer.apply(payable(second))
    page = client.get("/api/v1/orders?status=awaiting_payment", headers=alice).json
    assert [o["id"] for o in page["items"]] == [second]
    assert [o["id"] for o in client.get("/api/v1/orders?status=pending",
                                        headers=alice).json["items"]] == [first]
    assert client.get("/api/v1/orders?status=lost", headers=alice).status_code == 422


# -- refunds -------------------------------------------------------------------------------


def test_partial_then_full_refund_after_delivery(place, consumer, db, order_of):
    order_id = place()
    for event in (payable(order_id), paid(order_id), shipped(order_id), delivered(order_id)):
        consumer.apply(event)
    consumer.apply(refund(order_id, 2500, 2500, False, "rfd_1"))
    consumer.apply(refund(order_id, 2500, 2500, False, "rfd_1"))  # redelivered: counted once
    order = order_of(order_id)
    assert order["status"] == "partially_refunded"
    assert order["refunded_amount"] == {"amount": 2500, "currency": "CNY"}
    consumer.apply(refund(order_id, 5000, 7500, False, "rfd_2"))
    assert order_of(order_id)["refunded_amount"]["amount"] == 7500
    consumer.apply(refund(order_id, 7400, 14900, True, "rfd_3"))
    order = order_of(order_id)
    assert order["status"] == "refunded"
    assert order["refunded_amount"]["amount"] == 14900
    assert statuses(order)[-4:] == ["delivered", "partially_refunded", "partially_refunded",
                                    "refunded"]
    assert cancelled_events(db, order_id) == []  # delivered goods: no stock to release


def test_full_refund_of_a_paid_unshipped_order_cancels_it(place, consumer, db, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id))
    consumer.apply(refund(order_id, 14900, 14900, True))
    consumer.apply(refund(order_id, 14900, 14900, True))
    assert order_of(order_id)["status"] == "refunded"
    [event] = cancelled_events(db, order_id)
    assert event["cancelled_by"] == "refund"


def test_refund_on_a_cancelled_order_is_a_note(place, consumer, client, alice, db, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id))
    client.post(f"/api/v1/orders/{order_id}/cancel", headers=alice)
    consumer.apply(refund(order_id, 14900, 14900, True))
    consumer.apply(refund(order_id, 14900, 14900, True))
    order = order_of(order_id)
    assert order["status"] == "cancelled"
    assert order["refunded_amount"]["amount"] == 14900
    assert statuses(order) == ["pending", "awaiting_payment", "paid", "cancelled", "cancelled"]
    assert "149.00 CNY" in order["timeline"][-1]["note"]
    assert len(cancelled_events(db, order_id)) == 1


def test_the_refund_of_a_second_charge_leaves_the_order_paid(place, consumer, db, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    consumer.apply(paid(order_id))
    duplicate = inbound("RefundIssued", order_id=order_id, user_id="alice", refund_id="rfd_dup",
                        amount=TOTAL, refunded_total={"amount": 0, "currency": "CNY"},
                        fully_refunded=False, duplicate_payment=True)
    consumer.apply(duplicate)
    order = order_of(order_id)
    assert order["status"] == "paid"
    assert order["refunded_amount"]["amount"] == 0
    assert "duplicate charge refunded" in order["timeline"][-1]["note"]
    assert cancelled_events(db, order_id) == []


def test_return_requested_is_a_timeline_note(place, consumer, order_of):
    order_id = place()
    consumer.apply(inbound("ReturnRequested", order_id=order_id, user_id="alice"))
    order = order_of(order_id)
    assert order["status"] == "pending"
    assert "ret_31" in order["timeline"][-1]["note"]


def test_events_for_unknown_orders_fail_loudly(consumer):
    with pytest.raises(Exception, match="unknown order"):
        consumer.apply(paid("ord_missing"))


# -- timers --------------------------------------------------------------------------------


def test_payment_deadline_cancels_unpaid_orders_once(place, consumer, db, order_of):
    waiting, stockless, paid_order = place(), place(), place()
    consumer.apply(payable(waiting))
    consumer.apply(payable(paid_order))
    consumer.apply(paid(paid_order))
    due = datetime.fromisoformat(order_of(waiting)["payment_due_at"])
    assert cancel_overdue(db, due - timedelta(seconds=1)) == 0
    assert cancel_overdue(db, due + timedelta(seconds=5)) == 2
    assert cancel_overdue(db, due + timedelta(seconds=6)) == 0  # the timer runs again
    for order_id in (waiting, stockless):
        assert order_of(order_id)["status"] == "cancelled"
        [event] = cancelled_events(db, order_id)
        assert event["cancelled_by"] == "payment_deadline"
        assert event["lines"] == [{"sku": "KETTLE", "quantity": 1}, {"sku": "MUG", "quantity": 2}]
    assert order_of(paid_order)["status"] == "paid"
    consumer.apply(paid(waiting, "pay_late"))  # too late: noted, payment refunds it
    assert order_of(waiting)["status"] == "cancelled"


def test_a_payment_known_while_pending_stops_the_deadline(place, consumer, db, order_of):
    order_id = place()
    consumer.apply(paid(order_id))
    assert cancel_overdue(db, datetime.now(UTC) + timedelta(days=1)) == 0
    assert order_of(order_id)["status"] == "pending"


def test_one_failing_order_does_not_stop_the_deadline_timer(place, db, order_of, monkeypatch):
    import order.deadlines as deadlines

    first, second = place(), place()
    real = deadlines.cancel_if_overdue

    def flaky(db_, order_id, expected, at):
        if order_id == first:
            raise RuntimeError("boom")
        return real(db_, order_id, expected, at)

    monkeypatch.setattr(deadlines, "cancel_if_overdue", flaky)
    assert cancel_overdue(db, datetime.now(UTC) + timedelta(days=1)) == 1
    assert order_of(first)["status"] == "pending"
    assert order_of(second)["status"] == "cancelled"


def test_the_timer_loses_to_a_payment_that_came_first(place, consumer, db, order_of):
    """The timer read the order as unpaid; the payment committed before its update."""
    order_id = place()
    consumer.apply(payable(order_id))
    late = datetime.now(UTC) + timedelta(days=1)
    consumer.apply(paid(order_id))  # between the timer's read and its write
    assert cancel_if_overdue(db, order_id, "awaiting_payment", late) is False
    assert order_of(order_id)["status"] == "paid"
    assert cancelled_events(db, order_id) == []


def test_a_payment_after_the_timer_won_is_only_noted(place, consumer, db, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    assert cancel_if_overdue(db, order_id, "awaiting_payment",
                             datetime.now(UTC) + timedelta(days=1)) is True
    consumer.apply(paid(order_id))
    order = order_of(order_id)
    assert order["status"] == "cancelled"
    assert len(cancelled_events(db, order_id)) == 1


def test_concurrent_timer_and_payment_exactly_one_wins(place, consumer, db, order_of):
    order_id = place()
    consumer.apply(payable(order_id))
    late = datetime.now(UTC) + timedelta(days=1)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def timer():
        barrier.wait()
        cancel_overdue(db, late)

    def payment():
        barrier.wait()
        try:
            consumer.apply(paid(order_id))
        except Exception as exc:  # a lost race is retried by the consumer loop
            errors.append(exc)
            consumer.apply(paid(order_id))

    threads = [threading.Thread(target=timer), threading.Thread(target=payment)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order = order_of(order_id)
    cancellations = cancelled_events(db, order_id)
    if order["status"] == "paid":
        assert cancellations == []
        assert "cancelled" not in statuses(order)
    else:
        assert order["status"] == "cancelled"
        assert len(cancellations) == 1
        assert "paid" not in statuses(order)
        assert "refunded" in order["timeline"][-1]["note"]


def test_auto_complete_after_delivery_once(place, consumer, db, order_of):
    after_s = 7 * 24 * 3600
    order_id, undelivered = place(), place()
    for event in (payable(order_id), paid(order_id), shipped(order_id),
                  delivered(order_id, at="2026-11-25T10:00:00+00:00")):
        consumer.apply(event)
    delivered_at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert complete_delivered(db, delivered_at + timedelta(days=6), after_s) == 0
    assert complete_delivered(db, delivered_at + timedelta(days=7, seconds=1), after_s) == 1
    assert complete_delivered(db, delivered_at + timedelta(days=8), after_s) == 0
    assert order_of(order_id)["status"] == "completed"
    assert order_of(undelivered)["status"] == "pending"
    [event] = outbox_events(db, "OrderCompleted")
    assert event["data"]["completed_by"] == "auto"
    REGISTRY.validate_outgoing("OrderCompleted", 1, event["data"])


def test_the_worker_loop_runs_both_timers_and_survives_a_failure(db, monkeypatch):
    from order import timers
    from order.definition import DEFINITION
    from order.settings import OrderSettings

    order_timers, _saga_stats = DEFINITION.loops_for(OrderSettings(timer_interval_ms=1))
    stop = threading.Event()
    passes: list[str] = []

    def cancel(db_, at):
        passes.append("cancel")
        if len(passes) == 1:
            raise RuntimeError("database away")
        return 0

    def complete(db_, at, after_s):
        passes.append("complete")
        stop.set()
        return 0

    monkeypatch.setattr(timers, "cancel_overdue", cancel)
    monkeypatch.setattr(timers, "complete_delivered", complete)
    order_timers(db)(stop)
    assert passes == ["cancel", "cancel", "complete"]
