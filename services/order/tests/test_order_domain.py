import itertools

import pytest

from order.domain import (
    IllegalTransition,
    OrderStatus,
    Price,
    RequestedLine,
    UnknownSku,
    check_transition,
    order_total,
    price_lines,
)
from service_runtime.errors import InvalidInput

PRICES = {"A": Price(1000, "CNY"), "B": Price(250, "CNY"), "U": Price(5, "USD")}


def test_lines_are_priced_from_the_price_list_and_same_skus_merge():
    lines = price_lines([RequestedLine("A", 1), RequestedLine("B", 2), RequestedLine("A", 2)],
                        PRICES)
    assert [(line.sku, line.quantity, line.unit_price.amount) for line in lines] == [
        ("A", 3, 1000), ("B", 2, 250)]
    assert order_total(lines) == Price(3500, "CNY")


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
