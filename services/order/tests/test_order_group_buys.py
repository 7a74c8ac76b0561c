"""Group-buy orders in the saga: a refused place cancels the pending order; a failed
group cancels every member order not yet shipped, paid ones too (the payment service
refunds them on OrderCancelled), each once."""

import test_order_saga
from test_order_saga import PAID_AT, TOTAL, inbound, payable

from service_runtime.testing.plugin import outbox_events

# The saga tests' fixtures: an order placed by alice, and reading it.
place = test_order_saga.place
order_of = test_order_saga.order_of


def cancellations(db) -> list[dict]:
    return [event["data"] for event in outbox_events(db, "OrderCancelled")]


def paid(order_id: str):  # type: ignore[no-untyped-def]
    return inbound("PaymentConfirmed", order_id=order_id, user_id="alice", amount=TOTAL,
                   payment_id=f"pay_{order_id}", method="balance", confirmed_at=PAID_AT)


def test_a_rejected_place_cancels_the_pending_order_once(place, consumer, db, order_of):
    order_id = place()
    rejected = inbound("GroupSlotRejected", order_id=order_id, user_id="alice", reason="full")
    assert consumer.apply(rejected)
    consumer.apply(inbound("GroupSlotRejected", order_id=order_id, user_id="alice",
                           reason="full"))
    order = order_of(order_id)
    assert order["status"] == "cancelled"
    assert "拼团已满" in order["timeline"][-1]["note"]
    [cancelled] = cancellations(db)
    assert cancelled["cancelled_by"] == "group_buy" and cancelled["order_id"] == order_id


def test_a_failed_group_cancels_its_orders_paid_or_not_once(place, consumer, db, order_of):
    pending, awaiting, paid_one, shipped = place(), place(), place(), place()
    for order_id in (awaiting, paid_one, shipped):
        consumer.apply(payable(order_id))
    for order_id in (paid_one, shipped):
        consumer.apply(paid(order_id))
    consumer.apply(inbound("Shipped", order_id=shipped))
    assert order_of(paid_one)["status"] == "paid"
    assert order_of(shipped)["status"] == "shipped"
    failed = {"order_ids": [pending, awaiting, paid_one, shipped, "ord_unknown"],
              "group_id": "grp_1"}
    assert consumer.apply(inbound("GroupBuyFailed", **failed))
    consumer.apply(inbound("GroupBuyFailed", **failed))  # a second delivery: nothing new
    for order_id in (pending, awaiting, paid_one):
        order = order_of(order_id)
        assert order["status"] == "cancelled"
        assert order["timeline"][-1]["note"].startswith("拼团失败")
    assert order_of(shipped)["status"] == "shipped"
    assert sorted(c["order_id"] for c in cancellations(db)) == sorted(
        [pending, awaiting, paid_one])
    assert {c["cancelled_by"] for c in cancellations(db)} == {"group_buy"}
