"""The after-sales rules on their own: eligibility, the return window, quantities, refunds."""

from datetime import UTC, datetime, timedelta

import pytest

from aftersales.domain import (
    ORDER_PROGRESS,
    BoughtLine,
    OrderFacts,
    OrderNotReturnable,
    OrderNotReviewable,
    OrderProgress,
    ProductNotOnOrder,
    RefundMustCoverOrder,
    ReturnQuantityExceeded,
    ReturnWindowClosed,
    check_return_request,
    check_reviewable,
    rating_summary,
    receive_transition,
    reject_from,
)
from aftersales.settings import AftersalesSettings
from service_runtime.settings import InvalidSettings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
LINES = (BoughtLine("KETTLE", 1, 9900, 42), BoughtLine("MUG", 2, 2500, 7),
         BoughtLine("MUG", 1, 2000, 7))


def order(status: str, delivered: datetime | None = None,
          completed: datetime | None = None) -> OrderFacts:
    return OrderFacts("ord_1", "alice", status, "CNY", LINES, delivered, completed)


def check(o: OrderFacts, kind: str, requested: dict, already: dict | None = None,
          now: datetime = NOW) -> int:
    return check_return_request(o, kind, requested, already or {}, now, WEEK)


@pytest.mark.parametrize("kind", ["refund_only", "return_refund", "exchange"])
def test_a_delivered_order_within_the_window_allows_every_type(kind):
    delivered = order("delivered", delivered=NOW - timedelta(days=6, hours=23))
    assert check(delivered, kind, {"KETTLE": 1}) == (0 if kind == "exchange" else 9900)
    completed = order("completed", delivered=NOW - timedelta(days=1),
                      completed=NOW - timedelta(hours=1))
    assert check(completed, kind, {"MUG": 1}) == (0 if kind == "exchange" else 2500)


def test_the_window_counts_from_delivery_or_else_completion():
    late = order("completed", delivered=NOW - timedelta(days=8), completed=NOW)
    with pytest.raises(ReturnWindowClosed):
        check(late, "return_refund", {"KETTLE": 1})
    only_completed = order("completed", completed=NOW - timedelta(days=2))
    assert check(only_completed, "return_refund", {"KETTLE": 1}) == 9900
    with pytest.raises(ReturnWindowClosed):
        check(order("completed", completed=NOW - timedelta(days=7, seconds=1)),
              "exchange", {"KETTLE": 1})


@pytest.mark.parametrize("status", ["pending", "cancelled", "shipped"])
def test_orders_not_paid_or_still_in_transit_cannot_be_returned(status):
    with pytest.raises(OrderNotReturnable):
        check(order(status), "refund_only", {"KETTLE": 1, "MUG": 3})


@pytest.mark.parametrize("kind", ["return_refund", "exchange"])
def test_a_paid_unshipped_order_only_allows_a_refund(kind):
    with pytest.raises(OrderNotReturnable):
        check(order("paid"), kind, {"KETTLE": 1, "MUG": 3})


def test_a_refund_before_shipping_covers_the_whole_order():
    assert check(order("paid"), "refund_only", {"KETTLE": 1, "MUG": 3}) == 9900 + 5000 + 2000
    with pytest.raises(RefundMustCoverOrder):
        check(order("paid"), "refund_only", {"KETTLE": 1, "MUG": 2})
    with pytest.raises(RefundMustCoverOrder):
        check(order("paid"), "refund_only", {"KETTLE": 1})


def test_quantities_are_what_was_bought_minus_what_was_requested():
    delivered = order("delivered", delivered=NOW - timedelta(days=1))
    assert check(delivered, "return_refund", {"MUG": 3}) == 7000, "priced line by line"
    assert check(delivered, "return_refund", {"MUG": 1}, already={"MUG": 2}) == 2500
    with pytest.raises(ReturnQuantityExceeded) as refused:
        check(delivered, "return_refund", {"MUG": 2, "KETTLE": 1, "NOPE": 1},
              already={"MUG": 2})
    assert refused.value.extra["lines"] == [
        {"sku": "MUG", "requested": 2, "returnable": 1, "bought": 3},
        {"sku": "NOPE", "requested": 1, "returnable": 0, "bought": 0},
    ]


def test_status_only_moves_forward():
    assert list(ORDER_PROGRESS.before(OrderProgress.SHIPPED)) == ["pending", "paid"]
    assert "delivered" not in ORDER_PROGRESS.before(OrderProgress.SHIPPED)
    assert set(ORDER_PROGRESS.before(OrderProgress.CANCELLED)) == {
        "pending", "paid", "shipped", "delivered", "completed"}


def test_admin_transitions_by_type():
    assert reject_from("refund_only") == ("requested",)
    assert reject_from("exchange") == ("requested", "approved")
    assert receive_transition("refund_only")[0] == ()
    assert receive_transition("return_refund") == (("approved",), "received")
    assert receive_transition("exchange") == (("approved",), "exchanged")


def test_reviews_need_the_product_on_a_delivered_order():
    check_reviewable(order("delivered"), 42)
    check_reviewable(order("completed"), 7)
    with pytest.raises(ProductNotOnOrder):
        check_reviewable(order("delivered"), 99)
    for status in ("pending", "paid", "shipped", "cancelled"):
        with pytest.raises(OrderNotReviewable):
            check_reviewable(order(status), 42)


def test_rating_summary():
    empty = rating_summary({})
    assert (empty.count, empty.average) == (0, None)
    assert empty.distribution == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    summary = rating_summary({5: 2, 4: 1})
    assert (summary.count, summary.average) == (3, 4.67)
    assert summary.distribution == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 2}


def test_the_window_comes_from_the_environment(monkeypatch):
    assert AftersalesSettings.from_env().return_window == timedelta(days=7)
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "15")
    assert AftersalesSettings.from_env().return_window == timedelta(days=15)


def test_a_window_that_is_not_a_whole_number_of_days_names_the_variable(monkeypatch):
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "a week")
    with pytest.raises(InvalidSettings, match=r"RETURN_WINDOW_DAYS: 'a week' "):
        AftersalesSettings.from_env()
