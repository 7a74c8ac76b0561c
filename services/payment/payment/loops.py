"""The payment worker's own loops, beside the outbox relay and the consumer (the sandbox's
notifier is :func:`payment.sandbox.notifier`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from payment import service
from service_runtime.db import Database


def refund_processor(db: Database) -> Callable[[threading.Event], None]:
    """Submits pending provider refunds and completes them (ledger + ``RefundIssued``)."""
    return service.REFUND_SUBMISSION.loop(db)
