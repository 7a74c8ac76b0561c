"""The order service's timers, run as a periodic job of its worker.

The payment deadline and the auto-complete are use cases in ``order.service`` that take
the current time; this job only calls them every ``ORDER_TIMER_INTERVAL_MS``. Several
workers may run it at once: the conditional updates let exactly one of them (or a
racing event handler) move each order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from order.service import TIMER_BATCH, cancel_overdue, complete_delivered
from service_runtime.config import env_int
from service_runtime.db import Database
from service_runtime.jobs import PeriodicJob


def run_timers(db: Database, at: datetime) -> bool:
    """Cancel overdue unpaid orders, complete long-delivered ones; True if more wait."""
    cancelled = cancel_overdue(db, at)
    completed = complete_delivered(db, at)
    # A full batch means more are waiting: go again without pausing.
    return cancelled >= TIMER_BATCH or completed >= TIMER_BATCH


def order_timers(db: Database) -> Callable[[threading.Event], None]:
    """The worker loop: the timers every interval, backing off while they fail."""
    interval = env_int("ORDER_TIMER_INTERVAL_MS", 1000) / 1000
    return PeriodicJob(service="order", name="order-timers", tick=run_timers,
                       interval_s=interval).loop(db)
