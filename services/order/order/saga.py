"""What other services' events do to an order: stock, coupon or points refused, payment
due, paid or failed, cash on delivery chosen, shipped, delivered, refunded, a return asked
for.

Each runs in the consumer's session with the inbox row (never commits) and is idempotent
on its own: a fact already known or a status already reached is a no-op, and facts
arriving in any order (they come on different topics) are recorded. A lost race raises
``OrderChanged`` and the consumer retries the event on fresh state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session, lazyload

from event_contracts.events.order import CancelledBy
from event_contracts.vocabulary import PaymentMethod
from order import metrics
from order.domain import (
    BUYER_CANCELLABLE,
    UNPAID,
    OrderStatus,
    forward_path,
    money_text,
    payment_due_path,
    refund_cancels,
    refund_target,
)
from order.events import publish_order_cancelled
from order.models import Order
from order.status_changes import add_timeline_note, move_or_retry, record_facts_or_retry
from service_runtime.errors import NotFound
from service_runtime.ids import utcnow as now
from service_runtime.money import Money


def _order_named_by(session: Session, order_id: str, event_type: str) -> Order:
    # A handler moves a status: its lines and timeline load only if it uses them (the two
    # selectin queries were most of applying PaymentDue).
    order = session.get(Order, order_id,
                        options=[lazyload(Order.lines), lazyload(Order.timeline)])
    if order is None:
        # This service creates every order before announcing it, so this is a bug or
        # a foreign event: let the consumer dead-letter it rather than guess.
        raise NotFound(f"{event_type} names unknown order {order_id}")
    return order


def _paid_before_shipping(order: Order) -> bool:
    """Whether the order goes through ``paid``: cash on delivery never does."""
    return order.paid_at is not None and not order.cash_on_delivery


def payment_due(session: Session, order_id: str) -> None:
    """``PaymentDue``: pending -> awaiting_payment, or straight on to paid when the payment
    arrived first. Only the payment service knows when an order can be paid (it has seen
    both ``OrderPlaced`` and ``StockReserved``), so the order shows ``awaiting_payment`` only
    on its word: a buyer who pays the moment it does is never told "not payable yet".
    Anything else (already further, cancelled) is a late no-op."""
    order = _order_named_by(session, order_id, "PaymentDue")
    path = payment_due_path(OrderStatus(order.status), _paid_before_shipping(order))
    move_or_retry(session, order, path,
                  ["stock reserved; payment due", f"payment {order.payment_id} confirmed earlier"],
                  now())


def stock_rejected(session: Session, order_id: str, skus: Sequence[str]) -> None:
    """``StockRejected``: a pending order is cancelled for want of stock (once)."""
    order = _order_named_by(session, order_id, "StockRejected")
    if order.status != OrderStatus.PENDING:
        return
    at = now()
    reason = "out of stock: " + ", ".join(skus) if skus else "out of stock"
    move_or_retry(session, order, [OrderStatus.CANCELLED], [reason], at)
    publish_order_cancelled(session, order, CancelledBy.STOCK, reason, at)


# What the buyer reads in the timeline when their coupon could not be held.
COUPON_REJECTIONS = {"not_available": "coupon already used", "expired": "coupon expired",
                     "unknown": "coupon not found"}


def coupon_rejected(session: Session, order_id: str, reason: str) -> None:
    """``CouponRejected``: a pending order is cancelled, its coupon could not be held (once).
    The stock, the points and the coupon are released by their services on OrderCancelled."""
    _cancel_pending(session, order_id, "CouponRejected",
                    COUPON_REJECTIONS.get(reason, f"coupon not usable ({reason})"),
                    CancelledBy.COUPON)


def points_rejected(session: Session, order_id: str, points: int) -> None:
    """``PointsRejected``: a pending order is cancelled, its points could not be held (once)."""
    _cancel_pending(session, order_id, "PointsRejected", f"not enough points ({points} needed)",
                    CancelledBy.POINTS)


def _cancel_pending(session: Session, order_id: str, event_type: str, reason: str,
                    by: CancelledBy) -> None:
    order = _order_named_by(session, order_id, event_type)
    if order.status != OrderStatus.PENDING:
        return  # already cancelled (by another refusal, the buyer) or further: a late no-op
    at = now()
    move_or_retry(session, order, [OrderStatus.CANCELLED], [reason], at)
    publish_order_cancelled(session, order, by, reason, at)


# What the buyer reads when their group could not take the order.
GROUP_REJECTIONS = {"full": "拼团已满 the group is full",
                    "closed": "拼团已结束 the group is closed",
                    "campaign_over": "拼团活动已结束 the campaign is over",
                    "limit_reached": "已达参团上限 group-buy limit reached",
                    "already_member": "已在该团中 already in this group",
                    "unknown": "拼团不存在 no such group"}
GROUP_FAILED = "拼团失败 the group did not fill in time"


def group_slot_rejected(session: Session, order_id: str, reason: str) -> None:
    """``GroupSlotRejected``: a pending group-buy order is cancelled (once)."""
    _cancel_pending(session, order_id, "GroupSlotRejected",
                    GROUP_REJECTIONS.get(reason, f"no place in the group ({reason})"),
                    CancelledBy.GROUP_BUY)


def group_buy_failed(session: Session, order_ids: Sequence[str]) -> None:
    """``GroupBuyFailed``: every listed order not yet shipped is cancelled (paid ones too:
    the payment service refunds a cancelled paid order); those already cancelled or
    further are left alone. A lost race retries the whole event."""
    at = now()
    for order_id in order_ids:
        order = session.get(Order, order_id)
        if order is None or order.status not in BUYER_CANCELLABLE:
            continue
        move_or_retry(session, order, [OrderStatus.CANCELLED], [GROUP_FAILED], at)
        publish_order_cancelled(session, order, CancelledBy.GROUP_BUY, GROUP_FAILED, at)


def payment_confirmed(session: Session, order_id: str, payment_id: str, method: str,
                      confirmed_at: datetime) -> None:
    """``PaymentConfirmed``: awaiting_payment -> paid; while still pending the payment is
    remembered (PaymentDue then goes straight to paid); on a cancelled or later order
    it is recorded and noted only (the payment service refunds what a cancelled order got).

    Cash on delivery is collected at the door, so its confirmation is recorded and never
    makes the order ``paid``: it may arrive before this service has seen Shipped and
    Delivered (other topics), which then move the order on.
    """
    order = _order_named_by(session, order_id, "PaymentConfirmed")
    if order.payment_id == payment_id and order.paid_at is not None:
        return  # already known
    at = now()
    facts = {"payment_id": payment_id, "payment_method": method, "paid_at": confirmed_at}
    if method == PaymentMethod.CASH_ON_DELIVERY:
        facts["cash_on_delivery"] = True
    status = OrderStatus(order.status)
    if status == OrderStatus.AWAITING_PAYMENT and method != PaymentMethod.CASH_ON_DELIVERY:
        move_or_retry(session, order, [OrderStatus.PAID], [f"payment {payment_id} confirmed"],
                      at, **facts)
        metrics.order_paid(session, order)
        return
    if order.paid_at is not None:
        add_timeline_note(order, status, f"another payment {payment_id} confirmed ({method}); "
                                         "it is refunded", at)
        return
    if status != OrderStatus.CANCELLED:  # the first money for a live order: it counts
        metrics.order_paid(session, order)
    record_facts_or_retry(session, order, Order.paid_at.is_(None), updated_at=at, **facts)
    if status == OrderStatus.PENDING:
        text = f"payment {payment_id} confirmed before the order was shown payable"
    elif status == OrderStatus.CANCELLED:
        text = f"payment {payment_id} confirmed after cancellation; it is refunded"
    elif method == PaymentMethod.CASH_ON_DELIVERY:
        text = f"cash on delivery collected ({payment_id})"
    else:
        text = f"payment {payment_id} confirmed"
    add_timeline_note(order, status, text, at)


def payment_failed(session: Session, order_id: str, payment_id: str, reason: str) -> None:
    """``PaymentFailed``: a note; the order stays payable until its deadline."""
    order = _order_named_by(session, order_id, "PaymentFailed")
    add_timeline_note(order, order.status, f"payment {payment_id} failed: {reason}", now())


def cash_on_delivery_chosen(session: Session, order_id: str, payment_id: str) -> None:
    """``CashOnDeliveryChosen``: no payment deadline any more; the order may ship unpaid."""
    order = _order_named_by(session, order_id, "CashOnDeliveryChosen")
    if order.cash_on_delivery:
        return
    at = now()
    if order.status not in UNPAID:
        add_timeline_note(order, order.status,
                          f"cash on delivery chosen ({payment_id}) too late", at)
        return
    record_facts_or_retry(session, order, cash_on_delivery=True,
                          payment_method=PaymentMethod.CASH_ON_DELIVERY, payment_id=payment_id,
                          updated_at=at)
    add_timeline_note(order, order.status, "cash on delivery chosen: pay when it arrives", at)


def shipped(session: Session, order_id: str, shipment_id: str, carrier: str,
            tracking_number: str) -> None:
    """``Shipped`` (not a replacement): the order is on its way, whatever it missed before."""
    order = _order_named_by(session, order_id, "Shipped")
    text = f"shipped by {carrier}, tracking {tracking_number} ({shipment_id})"
    at = now()
    if order.status == OrderStatus.CANCELLED:
        add_timeline_note(order, order.status, f"{text} after cancellation", at)
        return
    path = forward_path(OrderStatus(order.status), OrderStatus.SHIPPED,
                        _paid_before_shipping(order))
    move_or_retry(session, order, path, [text], at)


def delivered(session: Session, order_id: str, shipment_id: str,
              delivered_at: datetime) -> None:
    """``Delivered`` (not a replacement): the auto-complete timer counts from ``delivered_at``."""
    order = _order_named_by(session, order_id, "Delivered")
    path = forward_path(OrderStatus(order.status), OrderStatus.DELIVERED,
                        _paid_before_shipping(order))
    if OrderStatus.DELIVERED not in path:
        if order.delivered_at is None:
            record_facts_or_retry(session, order, delivered_at=delivered_at)
            add_timeline_note(order, order.status, f"shipment {shipment_id} delivered", now())
        return
    move_or_retry(session, order, path, [f"shipment {shipment_id} delivered"], now(),
                  delivered_at=delivered_at)


def refund_issued(session: Session, order_id: str, refund_id: str, amount: Money,
                  refunded_total: int, fully_refunded: bool, reason: str, *,
                  duplicate_payment: bool = False) -> None:
    """``RefundIssued``: refunded / partially_refunded from paid, delivered, completed or
    partially_refunded; a note elsewhere (e.g. on a cancelled order). A full refund of a
    paid, unshipped order also cancels it (stock released, shipment cancelled). The refund
    of a second charge is only a note: the order's own payment stands."""
    order = _order_named_by(session, order_id, "RefundIssued")
    status = OrderStatus(order.status)
    if duplicate_payment:
        add_timeline_note(order, status, f"duplicate charge refunded ({refund_id} of "
                                         f"{money_text(amount)})", now())
        return
    target = refund_target(status, fully_refunded)
    if target is None and refunded_total <= order.refunded_amount:
        return  # nothing new: a refund already counted
    at = now()
    text = f"refund {refund_id} of {money_text(amount)}: {reason}"
    refunded = max(refunded_total, order.refunded_amount)
    if target is None:
        record_facts_or_retry(session, order, refunded_amount=refunded, updated_at=at)
        add_timeline_note(order, status, text, at)
        return
    move_or_retry(session, order, [target], [text], at, refunded_amount=refunded)
    if refund_cancels(status, fully_refunded):
        publish_order_cancelled(session, order, CancelledBy.REFUND,
                                "refunded in full before shipping", at)


def return_requested(session: Session, order_id: str, return_id: str, kind: str) -> None:
    """``ReturnRequested``: a timeline note; after-sales decides, refunds move the status."""
    order = _order_named_by(session, order_id, "ReturnRequested")
    add_timeline_note(order, order.status, f"{kind} requested ({return_id})", now())
