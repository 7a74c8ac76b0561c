"""The order service's own metrics, next to the runtime's (``service_runtime.metrics``).

Counters and the saga histogram change only when a transaction that changed an order
commits (``count_after_commit``): a lost race, an event retried, a redelivered event the
inbox skips, or a handler that finds the state already reached counts nothing. The
state gauges are set by the worker's ``order-saga-stats`` job (``order.saga_stats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.orm import Session

from order.domain import OrderStatus
from order.models import Order
from service_runtime.metrics import count_after_commit, observe_after_commit

# The saga's stages: the status an order enters at each (``reserved``: stock, coupon and
# points held, the payment service said PaymentDue and the order awaits payment).
STAGES: dict[OrderStatus, str] = {
    OrderStatus.AWAITING_PAYMENT: "reserved",
    OrderStatus.PAID: "paid",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.DELIVERED: "delivered",
}
# Seconds from placing: reserving takes seconds, paying minutes, delivery days.
STAGE_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 86400,
                 3 * 86400, 7 * 86400, 14 * 86400)

SAGA_STAGE = Histogram(
    "order_saga_stage_seconds",
    "Time from OrderPlaced (the order's placed_at) to the order reaching each stage, "
    "observed once per order and stage when the change commits",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
ORDERS_PLACED = Counter("orders_placed_total", "Orders placed (committed)", ["currency"])
ORDERS_PAID = Counter(
    "orders_paid_total",
    "Orders whose payment arrived (first confirmation; cash on delivery when collected; "
    "not orders already cancelled, whose money is refunded)",
    ["currency"],
)
ORDERS_GMV = Counter(
    "orders_gmv_fen_total",
    "Gross merchandise value: the payable total of the orders counted in orders_paid_total, "
    "in fen",
    ["currency"],
)
ORDERS_CANCELLED = Counter(
    "orders_cancelled_total", "Orders cancelled, by who or what cancelled them", ["reason"]
)
ORDERS_BY_STATUS = Gauge(
    "orders_by_status",
    "Orders in each status (the worker counts them every ORDER_STATS_INTERVAL_S)",
    ["status"],
    multiprocess_mode="max",
)
ORDERS_STUCK = Gauge(
    "orders_stuck",
    "Orders in a status longer than its timer allows (timer: what should have moved them)",
    ["status", "timer"],
    multiprocess_mode="max",
)
# Labelled, as every metric here: an unlabelled one writes its value when it is made, at
# import, which gunicorn's master (PROMETHEUS_MULTIPROC_DIR) must not.
STATS_TIMESTAMP = Gauge(
    "orders_stats_timestamp_seconds",
    "When the worker last counted the orders by status",
    ["service"],
    multiprocess_mode="max",
)


def order_placed(session: Session, order: Order) -> None:
    count_after_commit(session, ORDERS_PLACED.labels(order.currency))


def order_paid(session: Session, order: Order) -> None:
    count_after_commit(session, ORDERS_PAID.labels(order.currency))
    count_after_commit(session, ORDERS_GMV.labels(order.currency), order.total_amount)


def order_cancelled(session: Session, reason: str) -> None:
    """``reason``: a ``CancelledBy`` (buyer, stock, payment_deadline, ...)."""
    count_after_commit(session, ORDERS_CANCELLED.labels(reason))


def stages_reached(session: Session, order: Order, path: Sequence[OrderStatus],
                   at: datetime) -> None:
    """The order entered each status of ``path`` at ``at``: one observation per stage.
    Every status is entered at most once (the graph has no way back), and the caller's
    conditional UPDATE moved it, so a stage is never observed twice for one order."""
    elapsed = max(0.0, (at - order.created_at).total_seconds())
    for status in path:
        stage = STAGES.get(OrderStatus(status))
        if stage is not None:
            observe_after_commit(session, SAGA_STAGE.labels(stage), elapsed)
