"""The payment worker's own loops, beside the outbox relay and the consumer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from payment import sandbox, service
from service_runtime.db import Database

log = logging.getLogger(__name__)


def sandbox_notifier(db: Database) -> Callable[[threading.Event], None]:
    """Delivers the provider sandbox's notifications to the merchant's callback URL."""
    return sandbox.notifier(db)


def refund_processor(db: Database) -> Callable[[threading.Event], None]:
    """Submits pending provider refunds and completes them (ledger + ``RefundIssued``)."""

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if service.process_pending_refunds(db) == 0:
                    stop.wait(1)
            except Exception:
                log.exception("refund processing failed; retrying")
                stop.wait(5)

    return run
