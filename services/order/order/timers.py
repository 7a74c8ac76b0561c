"""The order service's timers, run as a periodic job of its worker.

The payment deadline and the auto-complete are use cases in ``order.deadlines`` that take
the current time; this job only calls them every ``OrderSettings.timer_interval_ms``.
Several workers may run it at once: the conditional updates let exactly one of them (or
a racing event handler) move each order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from order.deadlines import TIMER_BATCH, cancel_overdue, complete_delivered
from order.settings import OrderSettings
from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob


def run_timers(db: Database, at: datetime, *, auto_complete_after_s: int) -> bool:
    """Cancel overdue unpaid orders, complete long-delivered ones; True if more wait."""
    cancelled = cancel_overdue(db, at)
    completed = complete_delivered(db, at, auto_complete_after_s)
    # A full batch means more are waiting: go again without pausing.
    return cancelled >= TIMER_BATCH or completed >= TIMER_BATCH


def order_timers(settings: OrderSettings) -> Callable[[Database], Loop]:
    """The worker loop of the timers, as the worker's settings say: every interval,
    backing off while they fail."""
    tick = partial(run_timers, auto_complete_after_s=settings.auto_complete_after_s)
    job = PeriodicJob(service="order", name="order-timers", tick=tick,
                      interval_s=settings.timer_interval_ms / 1000)
    return job.loop
