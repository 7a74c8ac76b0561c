import itertools
from datetime import UTC, datetime, timedelta

import pytest

from order.domain import (
    IllegalTransition,
    OrderAlreadyCancelled,
    OrderAlreadyCompleted,
    OrderNotCancellable,
    OrderNotReceivable,
    OrderStatus,
    RequestedLine,
    UnknownSku,
    auto_complete_cutoff,
    check_buyer_cancel,
    check_confirm_receipt,
    check_transition,
    forward_path,
    money_text,
    note,
    order_total,
    payment_deadline,
    payment_due_path,
    price_lines,
    refund_cancels,
    refund_target,
    unavailable_skus,
)
from service_runtime.errors import InvalidInput
from service_runtime.money import Money

PRICES = {"A": Money(1000, "CNY"), "B": Money(250, "CNY"), "U": Money(5, "USD")}


def test_lines_are_priced_from_the_price_list_and_same_skus_merge():
    lines = price_lines([RequestedLine("A", 1), RequestedLine("B", 2), RequestedLine("A", 2)],
                        PRICES)
    assert [(line.sku, line.quantity, line.unit_price.amount) for line in lines] == [
        ("A", 3, 1000), ("B", 2, 250)]
    assert order_total(lines) == Money(3500, "CNY")


def test_unknown_skus_are_named():
    with pytest.raises(UnknownSku) as err:
        price_lines([RequestedLine("A", 1), RequestedLine("NOPE", 1)], PRICES)
    assert err.value.extra == {"skus": ["NOPE"]}


def test_mixed_currencies_and_huge_merged_quantities_are_refused():
    with pytest.raises(InvalidInput):
        price_lines([RequestedLine("A", 1), RequestedLine("U", 1)], PRICES)
    with pytest.raises(InvalidInput):
        price_lines([RequestedLine("A", 60), RequestedLine("A", 60)], PRICES)


def test_state_machine_allows_the_documented_path_only():
    path = [OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID,
            OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)
    with pytest.raises(IllegalTransition):
        check_transition(OrderStatus.CANCELLED, OrderStatus.PAID)
    with pytest.raises(IllegalTransition):
        check_transition(OrderStatus.SHIPPED, OrderStatus.CANCELLED)


def test_forward_path_catches_up_on_missed_steps_and_skips_paid_when_unpaid():
    S = OrderStatus
    assert forward_path(S.PENDING, S.PAID, paid=True) == [S.AWAITING_PAYMENT, S.PAID]
    assert forward_path(S.PENDING, S.AWAITING_PAYMENT, paid=False) == [S.AWAITING_PAYMENT]
    # cash on delivery ships unpaid
    assert forward_path(S.AWAITING_PAYMENT, S.SHIPPED, paid=False) == [S.SHIPPED]
    assert forward_path(S.PAID, S.DELIVERED, paid=True) == [S.SHIPPED, S.DELIVERED]
    # already there or beyond, or off the happy path: nothing
    assert forward_path(S.DELIVERED, S.SHIPPED, paid=True) == []
    assert forward_path(S.SHIPPED, S.SHIPPED, paid=True) == []
    assert forward_path(S.CANCELLED, S.SHIPPED, paid=True) == []
    assert forward_path(S.REFUNDED, S.DELIVERED, paid=True) == []


def test_payment_due_makes_only_a_pending_order_payable_or_paid():
    assert payment_due_path(OrderStatus.PENDING, paid=False) == [OrderStatus.AWAITING_PAYMENT]
    # The payment's confirmation overtook PaymentDue: on to paid, through awaiting_payment.
    assert payment_due_path(OrderStatus.PENDING, paid=True) == [OrderStatus.AWAITING_PAYMENT,
                                                                OrderStatus.PAID]
    # Late (a duplicate, or Shipped came first) or after a cancellation: never backwards.
    for status in OrderStatus:
        if status != OrderStatus.PENDING:
            assert payment_due_path(status, paid=False) == []
            assert payment_due_path(status, paid=True) == []


def test_buyer_may_cancel_until_shipped_and_not_twice():
    for status in (OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID):
        check_buyer_cancel(status)
    with pytest.raises(OrderAlreadyCancelled):
        check_buyer_cancel(OrderStatus.CANCELLED)
    for status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED,
                   OrderStatus.REFUNDED):
        with pytest.raises(OrderNotCancellable):
            check_buyer_cancel(status)


def test_receipt_is_confirmed_only_once_shipped():
    check_confirm_receipt(OrderStatus.SHIPPED)
    check_confirm_receipt(OrderStatus.DELIVERED)
    with pytest.raises(OrderAlreadyCompleted):
        check_confirm_receipt(OrderStatus.COMPLETED)
    with pytest.raises(OrderNotReceivable):
        check_confirm_receipt(OrderStatus.PAID)


def test_refunds_move_only_refundable_orders():
    S = OrderStatus
    assert refund_target(S.PAID, fully_refunded=True) == S.REFUNDED
    assert refund_target(S.DELIVERED, fully_refunded=False) == S.PARTIALLY_REFUNDED
    assert refund_target(S.COMPLETED, fully_refunded=False) == S.PARTIALLY_REFUNDED
    assert refund_target(S.PARTIALLY_REFUNDED, fully_refunded=True) == S.REFUNDED
    assert refund_target(S.PARTIALLY_REFUNDED, fully_refunded=False) is None
    assert refund_target(S.CANCELLED, fully_refunded=True) is None
    assert refund_target(S.SHIPPED, fully_refunded=True) is None
    assert refund_cancels(S.PAID, fully_refunded=True)
    assert not refund_cancels(S.PAID, fully_refunded=False)
    assert not refund_cancels(S.DELIVERED, fully_refunded=True)


def test_deadlines_and_small_helpers():
    placed = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert payment_deadline(placed, 1800) == placed + timedelta(minutes=30)
    assert auto_complete_cutoff(placed, 3600) == placed - timedelta(hours=1)
    assert unavailable_skus([{"sku": "A", "requested": 1, "available": 5},
                             {"sku": "B", "requested": 2, "available": 0}]) == ["B"]
    assert money_text(Money(14905, "CNY")) == "149.05 CNY"
    assert len(note("x" * 500)) == 200


def test_the_state_machine_has_no_way_out_of_cancelled_or_refunded():
    for target in OrderStatus:
        with pytest.raises(IllegalTransition):
            check_transition(OrderStatus.CANCELLED, target)
        with pytest.raises(IllegalTransition):
            check_transition(OrderStatus.REFUNDED, target)
    check_transition(OrderStatus.AWAITING_PAYMENT, OrderStatus.SHIPPED)  # cash on delivery
    with pytest.raises(IllegalTransition):
        check_transition(OrderStatus.PENDING, OrderStatus.PAID)
