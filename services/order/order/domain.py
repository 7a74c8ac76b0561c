"""Order rules, in plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from service_runtime.errors import Conflict, InvalidInput
from service_runtime.lines import quantities_by_sku
from service_runtime.money import Money

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


# Which status may follow which (the graph of the public API).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED}),
    # A cash-on-delivery order ships unpaid: awaiting_payment -> shipped.
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.SHIPPED,
                                             OrderStatus.CANCELLED}),
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

# The happy path, in order: facts that arrive late or out of order move an order along it.
FORWARD: tuple[OrderStatus, ...] = (
    OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.SHIPPED,
    OrderStatus.DELIVERED, OrderStatus.COMPLETED,
)
# The buyer may cancel until the order ships.
BUYER_CANCELLABLE = frozenset({OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT,
                               OrderStatus.PAID})
# The payment deadline applies while nothing is paid.
UNPAID = frozenset({OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT})
RECEIVABLE = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
# A refund changes the status only from these; elsewhere it is a timeline note.
REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.COMPLETED,
                        OrderStatus.PARTIALLY_REFUNDED})


class IllegalTransition(Conflict):
    slug, title = "illegal-order-transition", "The order cannot change that way"


class OrderNotCancellable(Conflict):
    slug, title = "order-not-cancellable", "The order can no longer be cancelled"


class OrderAlreadyCancelled(Conflict):
    slug, title = "order-already-cancelled", "The order is already cancelled"


class OrderNotReceivable(Conflict):
    slug, title = "order-not-receivable", "Only a shipped or delivered order can be received"


class OrderAlreadyCompleted(Conflict):
    slug, title = "order-already-completed", "The order is already completed"


class OrderChanged(Conflict):
    slug, title = "order-changed", "The order changed meanwhile; try again"


class UnknownSku(InvalidInput):
    slug, title = "unknown-sku", "Some SKUs are not for sale"


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"an order that is {current} cannot become {target}")


def forward_path(current: OrderStatus, target: OrderStatus,
                 paid: bool) -> list[OrderStatus]:
    """The statuses an order passes through from ``current`` to ``target`` on the happy path.

    Empty when the order is already there or beyond, or off the happy path (cancelled,
    refunded): a late fact then changes nothing. ``paid`` is skipped for an unpaid order
    (cash on delivery ships unpaid). Every step is a legal transition.
    """
    if current not in FORWARD or target not in FORWARD:
        return []
    start, end = FORWARD.index(current), FORWARD.index(target)
    steps = [s for s in FORWARD[start + 1:end + 1] if paid or s != OrderStatus.PAID]
    previous = current
    for step in steps:
        check_transition(previous, step)
        previous = step
    return steps


def payment_due_path(current: OrderStatus, paid: bool) -> list[OrderStatus]:
    """Where ``PaymentDue`` takes an order: a pending one awaits payment, or is paid at once
    when its payment was confirmed first (other topics may overtake this one). An order
    already further along, or cancelled, stays where it is: never backwards."""
    if current != OrderStatus.PENDING:
        return []
    return forward_path(current, OrderStatus.PAID if paid else OrderStatus.AWAITING_PAYMENT,
                        paid)


def check_buyer_cancel(current: OrderStatus) -> None:
    """The buyer may cancel until the order ships; cancelling twice is a conflict, not a no-op."""
    if current == OrderStatus.CANCELLED:
        raise OrderAlreadyCancelled("the order is already cancelled")
    if current not in BUYER_CANCELLABLE:
        raise OrderNotCancellable(f"an order that is {current} can no longer be cancelled",
                                  order_status=str(current))


def check_confirm_receipt(current: OrderStatus) -> None:
    if current == OrderStatus.COMPLETED:
        raise OrderAlreadyCompleted("the order is already completed")
    if current not in RECEIVABLE:
        raise OrderNotReceivable(f"an order that is {current} cannot be received",
                                 order_status=str(current))


def refund_target(current: OrderStatus, fully_refunded: bool) -> OrderStatus | None:
    """The status a refund moves the order to, or None when it is only a timeline note."""
    if current not in REFUNDABLE:
        return None
    target = OrderStatus.REFUNDED if fully_refunded else OrderStatus.PARTIALLY_REFUNDED
    return None if target == current else target


def refund_cancels(current: OrderStatus, fully_refunded: bool) -> bool:
    """A paid order refunded in full before shipping is over: release stock, stop shipping."""
    return current == OrderStatus.PAID and fully_refunded


def payment_deadline(placed_at: datetime, timeout_s: int) -> datetime:
    return placed_at + timedelta(seconds=timeout_s)


def auto_complete_cutoff(now: datetime, after_s: int) -> datetime:
    """Orders delivered before this moment complete themselves."""
    return now - timedelta(seconds=after_s)


def unavailable_skus(rejected_lines: Iterable[Mapping]) -> list[str]:
    """The SKUs of a ``StockRejected`` that lacked stock (for the timeline)."""
    return [line["sku"] for line in rejected_lines
            if line.get("available", 0) < line.get("requested", 0)]


def note(text: str) -> str:
    """Timeline notes fit their column."""
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True)
class RequestedLine:
    sku: str
    quantity: int


def money_text(money: Money) -> str:
    """``149.00 CNY`` for timeline notes (integer arithmetic, no floats)."""
    return f"{money.amount // 100}.{money.amount % 100:02d} {money.currency}"


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: Money

    @property
    def subtotal(self) -> int:
        return self.unit_price.amount * self.quantity


def merge_lines(lines: Iterable[RequestedLine]) -> list[RequestedLine]:
    """One line per SKU, quantities added, in first-seen order."""
    merged = quantities_by_sku((line.sku, line.quantity) for line in lines)
    if len(merged) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} different SKUs per order")
    too_many = [sku for sku, qty in merged.items() if qty > MAX_QUANTITY]
    if too_many:
        raise InvalidInput(f"at most {MAX_QUANTITY} of one SKU per order", skus=too_many)
    return [RequestedLine(sku, qty) for sku, qty in merged.items()]


def price_lines(lines: Iterable[RequestedLine], prices: Mapping[str, Money]) -> list[PricedLine]:
    """Price each line from the catalog's prices; never from what the client sent."""
    lines = merge_lines(lines)
    unknown = [line.sku for line in lines if line.sku not in prices]
    if unknown:
        raise UnknownSku(skus=unknown)
    currencies = {prices[line.sku].currency for line in lines}
    if len(currencies) != 1:
        raise InvalidInput("all lines of an order must be in one currency")
    return [PricedLine(line.sku, line.quantity, prices[line.sku]) for line in lines]


def order_total(lines: Iterable[PricedLine]) -> Money:
    lines = list(lines)
    return Money(sum(line.subtotal for line in lines), lines[0].unit_price.currency)
