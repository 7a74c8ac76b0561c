"""After-sales rules in plain Python: which orders may be returned or reviewed, how much,
for what refund, and which request states may follow which.

The service layer loads the facts (the order projection, what was already requested) and
asks these functions; nothing here touches a database or Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from event_contracts.vocabulary import ReturnKind
from service_runtime.errors import Conflict, InvalidInput, NotFound
from service_runtime.lines import quantities_by_sku
from service_runtime.projections import StatusOrder

DEFAULT_RETURN_WINDOW_DAYS = 7
MAX_REASON = 1000
MAX_RETURN_LINES = 50
MAX_REVIEW_TEXT = 2000
MAX_REVIEW_IMAGES = 9
MAX_TICKET_SUBJECT = 200
MAX_TICKET_MESSAGE = 2000


# -- the order as after-sales sees it -------------------------------------------------


class OrderProgress(StrEnum):
    """How far an order has got, as after-sales learns it from the order, payment and
    logistics events: its own coarse view, not the order service's status."""

    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# Events of different topics arrive in any order; the progress only ever moves forward
# along this order, so a late ``Shipped`` after ``Delivered`` changes nothing. A cancelled
# order stays cancelled (a late payment confirmation is refunded by the payment service).
ORDER_PROGRESS = StatusOrder(*OrderProgress)


@dataclass(frozen=True)
class BoughtLine:
    sku: str
    quantity: int
    unit_amount: int
    product_id: int | None = None
    # What the buyer paid for the whole line (its share of every discount and of the
    # shipping), from OrderPlaced; None on orders placed before promotions.
    payable: int | None = None

    def worth(self, units: int) -> int:
        """What the first ``units`` of the line's pieces are worth, cumulatively and
        exactly: ``floor(payable * units / quantity)``, so all of them are the whole
        payable and refunding a line piece by piece never gives back more or less."""
        if self.payable is None:
            return units * self.unit_amount
        return self.payable * units // self.quantity


@dataclass(frozen=True)
class OrderFacts:
    """What after-sales knows of an order from the order, payment and logistics events."""

    order_id: str
    user_id: str
    status: str
    currency: str
    lines: tuple[BoughtLine, ...]
    delivered_at: datetime | None = None
    completed_at: datetime | None = None


# -- problems -----------------------------------------------------------------------


class OrderNotFound(NotFound):
    slug, title = "order-not-found", "No such order"


class ReturnNotFound(NotFound):
    slug, title = "return-not-found", "No such return request"


class TicketNotFound(NotFound):
    slug, title = "ticket-not-found", "No such ticket"


class OrderNotReturnable(Conflict):
    slug, title = "order-not-returnable", "The order cannot be returned in its current state"


class ReturnWindowClosed(Conflict):
    slug, title = "return-window-closed", "The return window of this order has closed"


class ReturnQuantityExceeded(InvalidInput):
    slug, title = "return-quantity-exceeded", "More than was bought and not yet requested"


class RefundMustCoverOrder(InvalidInput):
    slug, title = ("refund-must-cover-order",
                   "A refund before shipping must cover every line of the order in full")


class InvalidReturnTransition(Conflict):
    slug, title = "invalid-return-transition", "The request is not in a state that allows this"


class ProductNotOnOrder(InvalidInput):
    slug, title = "product-not-on-order", "The product is not on this order"


class OrderNotReviewable(Conflict):
    slug, title = "order-not-reviewable", "Only delivered or completed orders can be reviewed"


class AlreadyReviewed(Conflict):
    slug, title = "already-reviewed", "This product of this order has been reviewed already"


# -- returns ------------------------------------------------------------------------


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"


class TimelineStep(StrEnum):
    """Entries on a request's timeline besides its statuses."""

    GOODS_RECEIVED = "goods_received"
    REPLACEMENT_SHIPPED = "replacement_shipped"
    REPLACEMENT_DELIVERED = "replacement_delivered"


RETURN_TYPES = tuple(kind.value for kind in ReturnKind)
RETURN_STATUSES = tuple(s.value for s in ReturnStatus)
_AFTER_DELIVERY = (OrderProgress.DELIVERED, OrderProgress.COMPLETED)


def bought_quantities(order: OrderFacts) -> dict[str, int]:
    return quantities_by_sku((line.sku, line.quantity) for line in order.lines)


def check_returnable(order: OrderFacts, return_type: str, now: datetime,
                     window: timedelta) -> None:
    """Raise unless the order's state allows a request of this type now.

    Delivered or completed orders within the window allow every type; a paid order that
    has not shipped allows only ``refund_only`` (checked for covering the whole order in
    :func:`check_quantities`).
    """
    status = order.status
    if status in _AFTER_DELIVERY:
        since = order.delivered_at or order.completed_at
        if since is None or now - since > window:
            raise ReturnWindowClosed(
                f"returns close {window.days} days after delivery", order_id=order.order_id,
                window_days=window.days)
        return
    if status == OrderProgress.PAID and return_type == ReturnKind.REFUND_ONLY:
        return
    if status == OrderProgress.PAID:
        raise OrderNotReturnable(
            "an order that has not shipped can only be refunded (refund_only)",
            order_id=order.order_id, order_status=status)
    raise OrderNotReturnable(f"the order is {status}", order_id=order.order_id,
                             order_status=status)


def check_quantities(order: OrderFacts, return_type: str, requested: Mapping[str, int],
                     already: Mapping[str, int]) -> None:
    """Each requested SKU must have been bought and not be requested already (in any
    request that was not rejected). A refund of a paid, unshipped order covers all of it.
    """
    bought = bought_quantities(order)
    bad = []
    for sku, quantity in requested.items():
        returnable = max(0, bought.get(sku, 0) - already.get(sku, 0))
        if quantity > returnable:
            bad.append({"sku": sku, "requested": quantity, "returnable": returnable,
                        "bought": bought.get(sku, 0)})
    if bad:
        raise ReturnQuantityExceeded(
            "some lines ask for more than can still be returned", lines=bad)
    if order.status == OrderProgress.PAID and return_type == ReturnKind.REFUND_ONLY \
            and dict(requested) != bought:
        raise RefundMustCoverOrder(
            "before shipping, refund every line in full (or cancel the order)",
            lines=[{"sku": sku, "requested": requested.get(sku, 0), "bought": quantity}
                   for sku, quantity in bought.items()])


def refund_amount(order: OrderFacts, return_type: str, requested: Mapping[str, int],
                  already: Mapping[str, int] | None = None) -> int:
    """What the requested pieces give back, in fen; nothing for an exchange.

    An order priced with promotions carries each line's ``payable``: the pieces are
    refunded from it cumulatively (``already``: the pieces of each SKU asked for before),
    ``worth(before + k) - worth(before)`` line by line in the order's order, so refunding
    every piece gives back exactly the order's total. An older order (no payables) is
    refunded at unit prices, a SKU on several lines taken line by line from the first.
    """
    if return_type == ReturnKind.EXCHANGE:
        return 0
    if any(line.payable is None for line in order.lines):
        return _unit_price_refund(order, requested)
    total = 0
    for sku, quantity in requested.items():
        before = (already or {}).get(sku, 0)
        after, start = before + quantity, 0
        for line in order.lines:
            if line.sku != sku:
                continue
            taken_before = min(max(before - start, 0), line.quantity)
            taken_after = min(max(after - start, 0), line.quantity)
            total += line.worth(taken_after) - line.worth(taken_before)
            start += line.quantity
    return total


def _unit_price_refund(order: OrderFacts, requested: Mapping[str, int]) -> int:
    total = 0
    for sku, quantity in requested.items():
        left = quantity
        for line in order.lines:
            if line.sku != sku or left == 0:
                continue
            taken = min(left, line.quantity)
            total += taken * line.unit_amount
            left -= taken
    return total


def check_return_request(order: OrderFacts, return_type: str, requested: Mapping[str, int],
                         already: Mapping[str, int], now: datetime,
                         window: timedelta) -> int:
    """All rules of a new request; returns the refund it asks for, in fen."""
    check_returnable(order, return_type, now, window)
    check_quantities(order, return_type, requested, already)
    return refund_amount(order, return_type, requested, already)


# Which status an admin action moves a request to, from which statuses, for which types.
def approve_from() -> tuple[str, ...]:
    return (ReturnStatus.REQUESTED.value,)


def reject_from(return_type: str) -> tuple[str, ...]:
    """A request may be rejected until it is approved; a return or exchange also after
    approval while the goods have not arrived (they never came, or not as described).
    A ``refund_only`` request is refunded on approval, so it cannot be rejected then."""
    if return_type == ReturnKind.REFUND_ONLY:
        return (ReturnStatus.REQUESTED.value,)
    return (ReturnStatus.REQUESTED.value, ReturnStatus.APPROVED.value)


def receive_transition(return_type: str) -> tuple[tuple[str, ...], str]:
    """(statuses receiving is allowed from, the status it leads to). Only goods that are
    sent back can be received: a return is then refunded by the payment service, an
    exchange is settled by the replacement logistics ships."""
    if return_type == ReturnKind.REFUND_ONLY:
        return (), ReturnStatus.RECEIVED.value
    target = ReturnStatus.EXCHANGED if return_type == ReturnKind.EXCHANGE \
        else ReturnStatus.RECEIVED
    return (ReturnStatus.APPROVED.value,), target.value


REFUNDABLE_FROM = (ReturnStatus.APPROVED.value, ReturnStatus.RECEIVED.value)


# -- reviews ------------------------------------------------------------------------


def check_reviewable(order: OrderFacts, product_id: int) -> None:
    if product_id not in {line.product_id for line in order.lines}:
        raise ProductNotOnOrder(f"product {product_id} is not on order {order.order_id}",
                                product_id=product_id)
    if order.status not in _AFTER_DELIVERY:
        raise OrderNotReviewable(f"the order is {order.status}", order_status=order.status)


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None
    distribution: dict[str, int]


def rating_summary(counts: Mapping[int, int]) -> RatingSummary:
    """Count, average (2 decimals, from integer arithmetic) and stars 1..5 distribution."""
    distribution = {str(star): int(counts.get(star, 0)) for star in range(1, 6)}
    count = sum(distribution.values())
    if count == 0:
        return RatingSummary(0, None, distribution)
    total = sum(star * n for star, n in counts.items())
    avg_x100 = (total * 100 * 2 + count) // (2 * count)  # rounded half up
    return RatingSummary(count, avg_x100 / 100, distribution)


def mask_user(user_id: str) -> str:
    """What a public review shows of its author: enough to tell reviews apart, no more."""
    if len(user_id) <= 2:
        return user_id[:1] + "***"
    return f"{user_id[0]}***{user_id[-1]}"


# -- tickets ------------------------------------------------------------------------


class TicketStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


TICKET_STATUSES = tuple(s.value for s in TicketStatus)


def status_after_message(from_staff: bool) -> str:
    """A staff reply answers the ticket; the customer writing again reopens it (a closed
    one too: a closed ticket is never a dead end)."""
    return TicketStatus.ANSWERED.value if from_staff else TicketStatus.OPEN.value
