"""What an order owes and when it can be paid: the payable, moved by the order's events.

``OrderPlaced`` records the payable; ``StockReserved`` makes it due (announced by
``PaymentDue``), together with ``CouponLocked`` and ``PointsLocked`` when the order uses a
coupon or points and ``GroupSlotHeld`` for a group-buy order, whichever arrives last;
``OrderCancelled`` voids it unpaid or refunds it paid. The order's events travel on
different topics and may arrive in any order, so what is heard before ``OrderPlaced`` is
kept as the order's progress and the payable starts from it.
These run in the consumer's transaction and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.vocabulary import CampaignKind
from payment import events, refunds
from payment.domain import (
    UNPAID,
    PayableStatus,
    PaymentStatus,
    check_payable,
    holds_complete,
    initial_payable_status,
)
from payment.models import OrderProgress, Payable, Payment
from service_runtime.ids import utcnow as now
from service_runtime.projections import Projection

# What is heard of an order before its OrderPlaced; made by whichever event comes first.
ORDER_PROGRESS = Projection(OrderProgress, "order_id", stamp=None)


def record_payable(session: Session, order_id: str, user_id: str, amount: int,
                   currency: str, *, needs_coupon: bool = False,
                   needs_points: bool = False, campaign: Mapping[str, Any] | None = None) -> None:
    """``OrderPlaced``: remember what the order owes (once), what it must have held before
    it is payable (its coupon, its points, its place in a group), with what was heard
    before."""
    _hold_order(session, order_id)
    if session.get(Payable, order_id) is not None:
        return
    progress = session.get(OrderProgress, order_id, populate_existing=True)
    group_id = campaign.get("group_id") if campaign else None
    needs_group_slot = bool(campaign) and campaign["kind"] == CampaignKind.GROUP_BUY
    held = holds_complete(progress.stock_reserved, progress.coupon_locked,
                          progress.points_locked, needs_coupon=needs_coupon,
                          needs_points=needs_points, group_slot_held=progress.group_slot_held,
                          needs_group_slot=needs_group_slot)
    status = initial_payable_status(held, bool(progress.cancelled))
    payable = Payable(order_id=order_id, user_id=user_id, amount=amount, currency=currency,
                      status=status, paid=0, refunded=0, created_at=now(),
                      needs_coupon=needs_coupon, needs_points=needs_points,
                      needs_group_slot=needs_group_slot, group_id=group_id,
                      campaign_kind=campaign["kind"] if campaign else None)
    session.add(payable)
    if status == PayableStatus.DUE:
        # In the transaction that makes it due: the order service shows the order as
        # payable only on this event, so no buyer sees it payable before we accept payment.
        events.payment_due(session, payable, now())


def _hold_order(session: Session, order_id: str) -> None:
    """Take the order's progress row (made if missing) until this transaction ends.

    Every event of an order takes it first, so two handled at once (two worker replicas,
    ``OrderPlaced`` and ``StockReserved`` from different topics) run one after the other
    and the second reads what the first wrote. Without it, on PostgreSQL each could miss
    the other: the payable would wait for stock that was already reserved, for good.
    (SQLite runs one writer at a time anyway.)
    """
    ORDER_PROGRESS.ensure(session, order_id)
    session.execute(select(OrderProgress.order_id)
                    .where(OrderProgress.order_id == order_id).with_for_update())


def _heard(session: Session, order_id: str, **facts: bool) -> None:
    """Keep what an event said of an order; a fact once heard stays."""
    session.execute(update(OrderProgress).where(OrderProgress.order_id == order_id)
                    .values(**facts).execution_options(synchronize_session=False))


def stock_reserved(session: Session, order_id: str) -> None:
    """``StockReserved``: one of the holds an order needs before it is payable."""
    _held(session, order_id, stock_reserved=True)


def coupon_locked(session: Session, order_id: str) -> None:
    """``CouponLocked``: the order's coupon is held for it."""
    _held(session, order_id, coupon_locked=True)


def points_locked(session: Session, order_id: str) -> None:
    """``PointsLocked``: the order's points are held for it."""
    _held(session, order_id, points_locked=True)


def group_slot_held(session: Session, order_id: str) -> None:
    """``GroupSlotHeld``: the group-buy order has its place in its group."""
    _held(session, order_id, group_slot_held=True)


def _held(session: Session, order_id: str, **fact: bool) -> None:
    """Record a hold; when the payable now has all it needs it becomes payable
    (``awaiting_stock -> due``, announced by ``PaymentDue`` once). On a payable already
    further or void it changes nothing."""
    _hold_order(session, order_id)
    _heard(session, order_id, **fact)
    payable = session.get(Payable, order_id, populate_existing=True)
    if payable is None or payable.status != PayableStatus.AWAITING_STOCK:
        return
    progress = session.get(OrderProgress, order_id, populate_existing=True)
    if not holds_complete(progress.stock_reserved, progress.coupon_locked,
                          progress.points_locked, needs_coupon=payable.needs_coupon,
                          needs_points=payable.needs_points,
                          group_slot_held=progress.group_slot_held,
                          needs_group_slot=payable.needs_group_slot):
        return
    became_due = session.execute(
        update(Payable)
        .where(Payable.order_id == order_id, Payable.status == PayableStatus.AWAITING_STOCK)
        .values(status=PayableStatus.DUE)
    ).rowcount
    if became_due == 1:
        events.payment_due(session, payable, now())


def order_cancelled(session: Session, order_id: str, reason: str) -> None:
    """``OrderCancelled``: void an unpaid payable; refund whatever a paid one has left."""
    _hold_order(session, order_id)
    if session.get(Payable, order_id) is None:
        _heard(session, order_id, cancelled=True)
        return
    voided = session.execute(
        update(Payable)
        .where(Payable.order_id == order_id, Payable.status.in_(UNPAID))
        .values(status=PayableStatus.VOID)
    ).rowcount
    if voided:
        session.execute(update(Payment)
                        .where(Payment.order_id == order_id,
                               Payment.status == PaymentStatus.AWAITING_DELIVERY)
                        .values(status=PaymentStatus.CANCELLED))
        return
    refunds.refund_cancelled_order(session, order_id, reason)


def move_due_payable(session: Session, order_id: str, to: PayableStatus,
                     **values: object) -> None:
    """``due -> to``, conditionally; the loser of a race gets the problem explaining why
    the order cannot be paid."""
    moved = session.execute(
        update(Payable).where(Payable.order_id == order_id, Payable.status == PayableStatus.DUE)
        .values(status=to, **values)
    ).rowcount
    if moved != 1:
        current = session.scalar(select(Payable.status).where(Payable.order_id == order_id))
        check_payable(current or PayableStatus.VOID, order_id)
        raise AssertionError("unreachable: the payable was due")


def mark_paid(session: Session, order_id: str, was: PayableStatus, amount: int,
              payment_id: str, at: datetime) -> bool:
    """``was -> paid`` by ``payment_id`` if the payable is still ``was`` and owes
    ``amount``; False when it no longer is (cancelled, or paid by another attempt)."""
    return session.execute(
        update(Payable)
        .where(Payable.order_id == order_id, Payable.status == was, Payable.amount == amount)
        .values(status=PayableStatus.PAID, paid=amount, paid_at=at, payment_id=payment_id)
    ).rowcount == 1
