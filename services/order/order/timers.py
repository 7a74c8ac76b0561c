"""The order service's timers, run as a loop of its worker.

The payment deadline and the auto-complete are use cases in ``order.service`` that take
the current time; this loop only calls them every ``ORDER_TIMER_INTERVAL_MS``. Several
workers may run it at once: the conditional updates let exactly one of them (or a
racing event handler) move each order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from order.service import TIMER_BATCH, cancel_overdue, complete_delivered
from service_runtime.config import env_int
from service_runtime.db import Database
from service_runtime.ids import utcnow

log = logging.getLogger(__name__)


def order_timers(db: Database) -> Callable[[threading.Event], None]:
    """The worker loop: cancel overdue unpaid orders, complete long-delivered ones."""
    interval = env_int("ORDER_TIMER_INTERVAL_MS", 1000) / 1000

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            busy = False
            try:
                at = utcnow()
                cancelled = cancel_overdue(db, at)
                completed = complete_delivered(db, at)
                # A full batch means more are waiting: go again without pausing.
                busy = cancelled >= TIMER_BATCH or completed >= TIMER_BATCH
            except Exception:
                log.exception("order timers failed; retrying")
            if not busy:
                stop.wait(interval)

    return run
