"""The order projection from order, payment and logistics events: upserted in any order,
never moving backwards, each event once."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from aftersales.models import OrderLine, OrderView


def order(db, order_id: str = "ord_1") -> tuple | None:
    with db.read() as session:
        row = session.get(OrderView, order_id)
        if row is None:
            return None
        lines = session.execute(select(OrderLine.sku, OrderLine.quantity, OrderLine.unit_amount,
                                       OrderLine.product_id)
                                .where(OrderLine.order_id == order_id)
                                .order_by(OrderLine.line_no)).all()
        return row.user_id, row.status, [tuple(line) for line in lines]


def test_the_happy_path_in_order(orders, db):
    orders.place()
    assert order(db) == ("alice", "pending", [
        ("KETTLE-MI-1.7L-WHITE", 1, 9900, 42), ("MUG-CERAMIC-350ML", 2, 2500, 7)])
    for step, status in [(orders.pay, "paid"), (orders.ship, "shipped"),
                         (orders.deliver, "delivered"), (orders.complete, "completed")]:
        step()
        assert order(db)[1] == status


def test_events_of_other_topics_may_come_first(orders, db):
    at = datetime.now(UTC) - timedelta(days=2)
    orders.deliver(at=at)
    assert order(db) == (None, "delivered", [])
    orders.pay()
    orders.ship()
    assert order(db)[1] == "delivered", "a late Shipped does not move it back"
    orders.place()
    assert order(db)[:2] == ("alice", "delivered")
    assert len(order(db)[2]) == 2
    with db.read() as session:
        assert session.get(OrderView, "ord_1").delivered_at == at


def test_a_cancelled_order_stays_cancelled(orders, db):
    orders.place()
    orders.cancel()
    orders.pay()  # a payment that arrives after the cancellation is refunded elsewhere
    assert order(db)[1] == "cancelled"


def test_a_replacement_shipment_does_not_move_the_order(orders, db):
    orders.place()
    orders.pay()
    orders.ship_replacement("ret_unknown")
    orders.deliver_replacement("ret_unknown")
    assert order(db)[1] == "paid"


def test_a_repeated_order_placed_adds_no_lines(orders, db):
    orders.place()
    orders.place()  # the same order published again (another event id)
    assert len(order(db)[2]) == 2


def test_refunds_keep_the_largest_total(orders, db):
    orders.delivered()
    orders.apply("RefundIssued", order_id="ord_1", user_id="alice", return_id=None,
                 refunded_total={"amount": 5000, "currency": "CNY"})
    orders.apply("RefundIssued", order_id="ord_1", user_id="alice", return_id=None,
                 refunded_total={"amount": 2500, "currency": "CNY"})  # the earlier one, late
    with db.read() as session:
        assert session.get(OrderView, "ord_1").refunded_amount == 5000


def test_a_redelivered_event_is_skipped_by_the_inbox(orders, db, consumer, make_event):
    orders.place()
    refund = make_event("RefundIssued", order_id="ord_1", user_id="alice", return_id=None,
                           refunded_total={"amount": 100, "currency": "CNY"})
    assert consumer.apply(refund) is True
    assert consumer.apply(refund) is False
