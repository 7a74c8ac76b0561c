"""The worker's count of orders by status, and of orders stuck past their timers, for the
metrics ``orders_by_status`` and ``orders_stuck`` (``order.metrics``).

A periodic job of the worker (every ``ORDER_STATS_INTERVAL_S``), not work at scrape time:
one ``GROUP BY status`` and three counts on the ``(status, payment_due_at)`` index, in one
read transaction. Each worker replica reports the same figures; dashboards and alerts take
the ``max``.

Stuck means a timer (or the saga) should have moved the order by now:

- ``pending`` longer than ``ORDER_STUCK_PENDING_AFTER_S`` (timer ``saga_answer``): the
  catalog, marketing or payment service has not answered OrderPlaced (stock reserved or
  rejected, coupon and points locked, PaymentDue);
- unpaid (pending or awaiting payment, not cash on delivery) past its payment deadline plus
  a grace (timer ``payment_deadline``): the deadline timer should have cancelled it;
- delivered longer than ``ORDER_AUTO_COMPLETE_AFTER_S`` plus the grace (timer
  ``auto_complete``): the auto-complete timer should have completed it.

The grace is ten timer intervals and at least a minute: a pass that is merely late is
not an incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import false, func, select

from order.domain import UNPAID, OrderStatus
from order.metrics import ORDERS_BY_STATUS, ORDERS_STUCK, STATS_TIMESTAMP
from order.models import Order
from order.settings import OrderSettings
from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob


class StuckTimer:
    SAGA_ANSWER = "saga_answer"
    PAYMENT_DEADLINE = "payment_deadline"
    AUTO_COMPLETE = "auto_complete"


@dataclass(frozen=True)
class Limits:
    """How long an order may stay in a status, from the order service's timers."""

    pending_s: int
    auto_complete_s: int
    grace_s: float

    @classmethod
    def of(cls, settings: OrderSettings) -> Limits:
        return cls(pending_s=settings.stuck_pending_after_s,
                   auto_complete_s=settings.auto_complete_after_s,
                   grace_s=max(60.0, 10 * settings.timer_interval_ms / 1000))


@dataclass(frozen=True)
class OrderStats:
    by_status: dict[str, int]
    stuck: dict[tuple[str, str], int]  # (status, timer) -> orders


def count_orders(db: Database, at: datetime, limits: Limits) -> OrderStats:
    """Orders by status (every status, 0 when none) and those stuck past a timer."""
    grace = timedelta(seconds=limits.grace_s)
    with db.read() as session:
        counted = dict(session.execute(
            select(Order.status, func.count()).group_by(Order.status)).all())
        pending = session.scalar(select(func.count()).where(
            Order.status == OrderStatus.PENDING,
            Order.created_at <= at - timedelta(seconds=limits.pending_s)))
        overdue = dict(session.execute(
            select(Order.status, func.count())
            .where(Order.status.in_(list(UNPAID)), Order.paid_at.is_(None),
                   Order.cash_on_delivery == false(), Order.payment_due_at <= at - grace)
            .group_by(Order.status)).all())
        undone = session.scalar(select(func.count()).where(
            Order.status == OrderStatus.DELIVERED,
            Order.delivered_at <= at - timedelta(seconds=limits.auto_complete_s) - grace))
    by_status = {status.value: int(counted.get(status.value, 0)) for status in OrderStatus}
    stuck = {(OrderStatus.PENDING.value, StuckTimer.SAGA_ANSWER): int(pending or 0),
             (OrderStatus.DELIVERED.value, StuckTimer.AUTO_COMPLETE): int(undone or 0)}
    for status in UNPAID:
        stuck[(status.value, StuckTimer.PAYMENT_DEADLINE)] = int(overdue.get(status.value, 0))
    return OrderStats(by_status, stuck)


def export_order_stats(db: Database, at: datetime, *, limits: Limits) -> bool:
    """Count and set the gauges; never more waiting (the job runs every interval)."""
    stats = count_orders(db, at, limits)
    for status, count in stats.by_status.items():
        ORDERS_BY_STATUS.labels(status).set(count)
    for (status, timer), count in stats.stuck.items():
        ORDERS_STUCK.labels(status, timer).set(count)
    STATS_TIMESTAMP.labels("order").set(at.timestamp())
    return False


def order_saga_stats(settings: OrderSettings) -> Callable[[Database], Loop]:
    job = PeriodicJob(service="order", name="order-saga-stats",
                      tick=partial(export_order_stats, limits=Limits.of(settings)),
                      interval_s=settings.stats_interval_s)
    return job.loop
