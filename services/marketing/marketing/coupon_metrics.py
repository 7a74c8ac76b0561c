"""The marketing service's coupon counters (locked for an order, used when it is paid,
released when it is cancelled), next to the runtime's metrics.

Counted from the conditional UPDATE's row count when the consumer's transaction commits
(``count_after_commit``): a redelivered or late event, whose UPDATE matches nothing,
and a rolled-back transaction count nothing.
"""

from __future__ import annotations

from prometheus_client import Counter
from sqlalchemy.orm import Session

from service_runtime.metrics import count_after_commit


class CouponStep:
    LOCKED = "locked"
    USED = "used"
    RELEASED = "released"


COUPONS = Counter("coupons_total", "Coupons locked for an order, used (the order was paid) "
                  "or released (the order was cancelled)", ["step"])


def coupons(session: Session, step: str, count: int) -> None:
    """``step``: a :class:`CouponStep`; ``count``: the rows the step's UPDATE changed."""
    count_after_commit(session, COUPONS.labels(step), count)
