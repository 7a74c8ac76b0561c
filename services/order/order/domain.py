"""Order rules, in plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from service_runtime.errors import Conflict, InvalidInput

MAX_LINES = 50
MAX_QUANTITY = 99


class OrderStatus(StrEnum):
    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


# Which status may follow which. Later flows (stock, shipping, after-sales) add their
# triggers; the graph is already the one in the public API.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED}),
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED,
                                 OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED,
                                      OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class IllegalTransition(Conflict):
    slug, title = "illegal-order-transition", "The order cannot change that way"


class UnknownSku(InvalidInput):
    slug, title = "unknown-sku", "Some SKUs are not for sale"


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"an order that is {current} cannot become {target}")


@dataclass(frozen=True)
class RequestedLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Price:
    amount: int
    currency: str


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: Price

    @property
    def subtotal(self) -> int:
        return self.unit_price.amount * self.quantity


def merge_lines(lines: Iterable[RequestedLine]) -> list[RequestedLine]:
    """One line per SKU, quantities added, in first-seen order."""
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    too_many = [sku for sku, qty in merged.items() if qty > MAX_QUANTITY]
    if too_many:
        raise InvalidInput(f"at most {MAX_QUANTITY} of one SKU per order", skus=too_many)
    return [RequestedLine(sku, qty) for sku, qty in merged.items()]


def price_lines(lines: Iterable[RequestedLine], prices: Mapping[str, Price]) -> list[PricedLine]:
    """Price each line from the catalog's prices; never from what the client sent."""
    lines = merge_lines(lines)
    unknown = [line.sku for line in lines if line.sku not in prices]
    if unknown:
        raise UnknownSku(skus=unknown)
    currencies = {prices[line.sku].currency for line in lines}
    if len(currencies) != 1:
        raise InvalidInput("all lines of an order must be in one currency")
    return [PricedLine(line.sku, line.quantity, prices[line.sku]) for line in lines]


def order_total(lines: Iterable[PricedLine]) -> Price:
    lines = list(lines)
    return Price(sum(line.subtotal for line in lines), lines[0].unit_price.currency)
