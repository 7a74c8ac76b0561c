"""Payment rules, in plain Python."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from event_contracts.vocabulary import PaymentMethod, RefundDestination
from service_runtime.errors import Conflict, InvalidInput, NotFound, Problem


class Provider(StrEnum):
    """The payment methods paid at an outside provider's cashier, which then notifies us."""

    ALIPAY = PaymentMethod.ALIPAY.value
    WECHAT = PaymentMethod.WECHAT.value
    CARD = PaymentMethod.CARD.value


class PaymentKind(StrEnum):
    ORDER = "order"  # pays an order's payable
    TOP_UP = "top_up"  # credits the wallet


class PaymentStatus(StrEnum):
    PENDING = "pending"  # waiting for the provider's notification
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the provider declined it; a later success still counts
    AWAITING_DELIVERY = "awaiting_delivery"  # cash on delivery: the courier collects it
    CANCELLED = "cancelled"  # cash on delivery of an order cancelled before delivery


class PayableStatus(StrEnum):
    """What an order owes goes ``AWAITING_STOCK -> DUE -> PAID``, or ``DUE -> ON_DELIVERY
    -> PAID`` (cash on delivery), or to ``VOID`` when cancelled unpaid."""

    # Waiting for its stock, and for its coupon and points to be locked when it uses them.
    AWAITING_STOCK = "awaiting_stock"
    DUE = "due"  # announced by ``PaymentDue``: a payment is accepted now
    # The buyer chose cash on delivery. Stored as "cod", the method's word, since the
    # first release; the member says what the state is.
    ON_DELIVERY = "cod"
    PAID = "paid"
    VOID = "void"


# The states a cancellation voids: nothing was paid yet.
UNPAID = (PayableStatus.AWAITING_STOCK, PayableStatus.DUE, PayableStatus.ON_DELIVERY)


class RefundStatus(StrEnum):
    PENDING = "pending"  # recorded; the provider has not yet given the money back
    SUCCEEDED = "succeeded"  # the money is back (wallet or provider)


class TradeOutcome(StrEnum):
    """How the buyer left a provider's cashier (the sandbox's form and notifications)."""

    SUCCESS = "success"
    FAILURE = "failure"


# -- refund triggers: unique per order, so a trigger delivered twice refunds once -------

CANCELLATION_TRIGGER = "cancel"
_RETURN_PREFIX = "return:"
_DUPLICATE_PREFIX = "duplicate:"


def return_trigger(return_id: str) -> str:
    return f"{_RETURN_PREFIX}{return_id}"


def duplicate_trigger(payment_id: str) -> str:
    """The automatic refund of a payment that found its order cancelled or already paid."""
    return f"{_DUPLICATE_PREFIX}{payment_id}"


def is_duplicate_trigger(trigger: str) -> bool:
    return trigger.startswith(_DUPLICATE_PREFIX)


def duplicate_payment_of(trigger: str) -> str | None:
    """The payment a duplicate trigger refunds; None for any other trigger."""
    return trigger.removeprefix(_DUPLICATE_PREFIX) if is_duplicate_trigger(trigger) else None


DUPLICATE_TRIGGER_LIKE = f"{_DUPLICATE_PREFIX}%"  # the same, as an SQL LIKE pattern


class AlreadyPaid(Conflict):
    slug, title = "already-paid", "This order is already paid"


class OrderNotPayableYet(Conflict):
    """The order's stock is still being reserved: asynchronous, usually a second or two."""

    slug, title = "order-not-payable-yet", "This order cannot be paid until its stock is reserved"
    retry_after_s = 1


class OrderCancelled(Conflict):
    slug, title = "order-cancelled", "This order was cancelled"


class CampaignNeedsPrepayment(InvalidInput):
    slug, title = ("campaign-needs-prepayment",
                   "An order bought through a campaign is paid online, not in cash on delivery")


class CashOnDeliveryChosen(Conflict):
    slug, title = "cash-on-delivery-chosen", "This order is paid in cash on delivery"


class PayableNotFound(NotFound):
    slug, title = "order-not-found", "No such order to pay"


class PaymentNotFound(NotFound):
    slug, title = "payment-not-found", "No such payment"


class UnknownPackage(InvalidInput):
    slug, title = "unknown-top-up-package", "No such top-up package"


class StaleNotification(Problem):
    status, slug = 400, "notification-refused"
    title = "The notification is stale or from the future"


class AmountMismatch(Problem):
    status, slug = 400, "notification-refused"
    title = "The notification's amount is not the payment's"


class SandboxDisabled(NotFound):
    slug, title = "sandbox-disabled", "The payment sandbox is not enabled"


def check_payable(status: str, order_id: str) -> None:
    """Raise the problem that explains why a payable in ``status`` cannot be paid now."""
    if status == PayableStatus.DUE:
        return
    if status == PayableStatus.AWAITING_STOCK:
        raise OrderNotPayableYet(f"order {order_id} is waiting for its stock to be reserved "
                                 "(and its coupon and points to be held)")
    if status == PayableStatus.VOID:
        raise OrderCancelled(f"order {order_id} was cancelled")
    if status == PayableStatus.ON_DELIVERY:
        raise CashOnDeliveryChosen(f"order {order_id} is paid in cash on delivery")
    raise AlreadyPaid(f"order {order_id} is already paid")


def initial_payable_status(held: bool, cancelled: bool) -> PayableStatus:
    """What a new payable starts as, given what was heard about the order before it
    (``held``: everything it needs is held, see ``holds_complete``)."""
    if cancelled:
        return PayableStatus.VOID
    return PayableStatus.DUE if held else PayableStatus.AWAITING_STOCK


def holds_complete(stock_reserved: bool, coupon_locked: bool, points_locked: bool, *,
                   needs_coupon: bool, needs_points: bool, group_slot_held: bool = False,
                   needs_group_slot: bool = False) -> bool:
    """An order is payable once its stock is reserved AND its coupon locked (if it uses
    one) AND its points locked (if it spends any) AND its place in its group held (a
    group-buy order), whichever arrived first."""
    return stock_reserved and (coupon_locked or not needs_coupon) \
        and (points_locked or not needs_points) and (group_slot_held or not needs_group_slot)


def refundable(paid: int, refunded: int, requested: int | None = None) -> int:
    """How much a refund may give back: the request capped at what is left (never < 0)."""
    left = max(0, paid - refunded)
    return left if requested is None else max(0, min(requested, left))


def refund_destination(method: str) -> tuple[PaymentMethod, RefundDestination]:
    """(the method the money goes back through, the event's ``destination``) for a
    payment's method.

    Balance payments go back to the wallet, which is their original method; cash on
    delivery cannot be handed back in cash, so it goes to the wallet; provider
    payments go back through their provider.
    """
    if method == PaymentMethod.CASH_ON_DELIVERY:
        return PaymentMethod.BALANCE, RefundDestination.BALANCE
    return PaymentMethod(method), RefundDestination.ORIGINAL


# -- money ---------------------------------------------------------------------------

_YUAN = re.compile(r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$")


def fen_to_yuan(fen: int) -> str:
    """14900 -> "149.00", exactly (integers only)."""
    if fen < 0:
        raise ValueError("an amount is never negative")
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(yuan: str) -> int:
    """"149.00" -> 14900, exactly; anything but a plain decimal of at most 2 places is refused."""
    if not _YUAN.match(yuan):
        raise ValueError(f"{yuan!r} is not an amount in yuan")
    try:
        return int(Decimal(yuan) * 100)
    except InvalidOperation:
        raise ValueError(f"{yuan!r} is not an amount in yuan") from None


# -- notifications ---------------------------------------------------------------------

def check_fresh(sent_at: datetime, now: datetime, max_age_s: int, leeway_s: int = 60) -> None:
    """Refuse a notification older than ``max_age_s`` or (beyond clock leeway) from the future."""
    if sent_at < now - timedelta(seconds=max_age_s):
        raise StaleNotification(f"sent at {sent_at.isoformat()}, older than {max_age_s}s")
    if sent_at > now + timedelta(seconds=leeway_s):
        raise StaleNotification(f"sent at {sent_at.isoformat()}, in the future")


def check_amount(expected: tuple[int, str], got: tuple[int, str]) -> None:
    if expected != got:
        raise AmountMismatch(f"notified {got[0]} {got[1]}, the payment is {expected[0]} "
                             f"{expected[1]}")


def top_up_amounts(packages: dict[str, tuple[int, int]], package_id: str | None,
                   amount: int | None) -> tuple[int, int]:
    """(price, credit) of a top-up: a package's, or ``amount`` for both."""
    if (package_id is None) == (amount is None):
        raise InvalidInput("give either package_id or amount")
    if package_id is not None:
        if package_id not in packages:
            raise UnknownPackage(f"no top-up package {package_id!r}")
        return packages[package_id]
    assert amount is not None
    return amount, amount


# -- reconciliation --------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentFact:
    id: str
    order_id: str
    method: str
    amount: int
    succeeded_on_day: bool


@dataclass(frozen=True)
class RefundFact:
    id: str
    order_id: str
    payment_id: str
    method: str
    amount: int
    trigger: str
    succeeded: bool
    succeeded_on_day: bool


@dataclass(frozen=True)
class PayableFact:
    order_id: str
    amount: int
    status: str
    payment_id: str | None
    paid_on_day: bool


@dataclass
class Report:
    by_method: dict[str, dict[str, int]] = field(default_factory=dict)
    orders_paid: dict[str, int] = field(default_factory=dict)
    payments_received: dict[str, int] = field(default_factory=dict)
    mismatches: list[dict[str, str]] = field(default_factory=list)


def reconcile(payments: Iterable[PaymentFact], refunds: Iterable[RefundFact],
              payables: Iterable[PayableFact]) -> Report:
    """Compare what orders owe with what arrived and went back.

    ``payments`` are every succeeded order payment of the orders concerned,
    ``refunds`` every refund of them, ``payables`` those orders' payables.
    """
    payments, refunds = list(payments), list(refunds)
    by_order = {p.order_id: p for p in payables}
    report = Report()
    methods: dict[str, dict[str, int]] = defaultdict(
        lambda: {"payments": 0, "payments_amount": 0, "refunds": 0, "refunds_amount": 0})
    for payment in payments:
        if payment.succeeded_on_day:
            methods[payment.method]["payments"] += 1
            methods[payment.method]["payments_amount"] += payment.amount
    for refund in refunds:
        if refund.succeeded_on_day:
            methods[refund.method]["refunds"] += 1
            methods[refund.method]["refunds_amount"] += refund.amount
    report.by_method = dict(sorted(methods.items()))
    paid_today = [p for p in by_order.values() if p.paid_on_day]
    report.orders_paid = {"count": len(paid_today), "amount": sum(p.amount for p in paid_today)}
    received = [p for p in payments if p.succeeded_on_day]
    report.payments_received = {"count": len(received),
                                "amount": sum(p.amount for p in received)}

    def mismatch(kind: str, order_id: str, detail: str, payment_id: str = "") -> None:
        report.mismatches.append({"kind": kind, "order_id": order_id,
                                  "payment_id": payment_id, "detail": detail})

    refunded_duplicates = {duplicate_payment_of(r.trigger) for r in refunds
                           if is_duplicate_trigger(r.trigger) and r.succeeded}
    payments_of: dict[str, list[PaymentFact]] = defaultdict(list)
    for payment in payments:
        payments_of[payment.order_id].append(payment)
    for order_id, paid in sorted(payments_of.items()):
        payable = by_order.get(order_id)
        for payment in paid:
            if payable is not None and payment.amount != payable.amount:
                mismatch("amount-differs", order_id,
                         f"paid {payment.amount}, the order's total is {payable.amount}",
                         payment.id)
            if (payable is None or payable.status != PayableStatus.PAID) \
                    and payment.id not in refunded_duplicates:
                mismatch("payable-not-paid", order_id,
                         f"payment succeeded but the order is "
                         f"{payable.status if payable else 'unknown'} and it was not refunded",
                         payment.id)
        if len(paid) > 1:
            kept = [p for p in paid if p.id not in refunded_duplicates]
            if len(kept) > 1:
                mismatch("paid-twice", order_id,
                         f"{len(kept)} succeeded payments are not refunded")
    refunded_of: dict[str, int] = defaultdict(int)
    for refund in refunds:
        refunded_of[refund.order_id] += refund.amount
    for order_id, refunded in sorted(refunded_of.items()):
        received_total = sum(p.amount for p in payments_of.get(order_id, []))
        if refunded > received_total:
            mismatch("over-refunded", order_id,
                     f"refunds of {refunded} exceed payments of {received_total}")
    return report
