"""The order's deadlines, run by the worker's timers with the current time: an unpaid
order is cancelled at its payment deadline, a delivered one completes itself after a while.

Each order moves in its own transaction, by a conditional update that loses to an event
handler (or another worker's timer) that moved it first; one failing order is logged and
skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from sqlalchemy import false, select

from event_contracts.events.order import CancelledBy, CompletedBy
from order.domain import UNPAID, OrderStatus, auto_complete_cutoff
from order.events import publish_order_cancelled, publish_order_completed
from order.models import Order
from order.status_changes import move_if_unchanged
from service_runtime.db import Database

log = logging.getLogger(__name__)

# How many orders one timer pass handles at most (each in its own transaction).
TIMER_BATCH = 100


def cancel_overdue(db: Database, at: datetime, limit: int = TIMER_BATCH) -> int:
    """Cancel unpaid orders past their payment deadline; return how many were cancelled."""
    with db.read() as session:
        due = session.execute(
            select(Order.id, Order.status)
            .where(Order.status.in_(list(UNPAID)), Order.paid_at.is_(None),
                   Order.cash_on_delivery == false(), Order.payment_due_at <= at)
            .order_by(Order.payment_due_at)
            .limit(limit)
        ).all()
    return _count_moved_skipping_failures(
        "payment deadline cancel",
        [(order_id, partial(cancel_if_overdue, db, order_id, status, at))
         for order_id, status in due])


def cancel_if_overdue(db: Database, order_id: str, expected: str, at: datetime) -> bool:
    """Cancel one order if it is still ``expected``, unpaid and overdue; False if it moved."""
    with db.transaction() as session:
        order = session.get(Order, order_id)
        if order is None:
            return False
        moved = move_if_unchanged(
            session, order, [OrderStatus.CANCELLED], ["not paid in time: cancelled"], at,
            expected=expected,
            where=(Order.paid_at.is_(None), Order.cash_on_delivery == false(),
                   Order.payment_due_at <= at),
        )
        if moved:
            publish_order_cancelled(session, order, CancelledBy.PAYMENT_DEADLINE,
                                    "not paid in time", at)
        return moved


def complete_delivered(db: Database, at: datetime, after_s: int,
                       limit: int = TIMER_BATCH) -> int:
    """Complete orders delivered more than ``after_s`` seconds before ``at``; return how
    many were completed."""
    cutoff = auto_complete_cutoff(at, after_s)
    with db.read() as session:
        ids = list(session.scalars(
            select(Order.id)
            .where(Order.status == OrderStatus.DELIVERED, Order.delivered_at <= cutoff)
            .order_by(Order.delivered_at)
            .limit(limit)
        ))
    return _count_moved_skipping_failures(
        "auto-complete",
        [(order_id, partial(complete_if_delivered, db, order_id, cutoff, at))
         for order_id in ids])


def complete_if_delivered(db: Database, order_id: str, cutoff: datetime, at: datetime) -> bool:
    """Complete one order if it is still delivered, and was so before ``cutoff``."""
    with db.transaction() as session:
        order = session.get(Order, order_id)
        if order is None:
            return False
        moved = move_if_unchanged(session, order, [OrderStatus.COMPLETED],
                                  ["completed automatically after delivery"], at,
                                  expected=OrderStatus.DELIVERED,
                                  where=(Order.delivered_at <= cutoff,))
        if moved:
            publish_order_completed(session, order, CompletedBy.AUTO, at)
        return moved


def _count_moved_skipping_failures(what: str,
                                   steps: Sequence[tuple[str, Callable[[], bool]]]) -> int:
    """Run each order's step (its own transaction) and count the orders it moved; one
    that fails is logged and skipped."""
    moved = 0
    for order_id, step in steps:
        try:
            moved += step()
        except Exception:
            log.exception(f"{what} failed", extra={"order_id": order_id})
    return moved
