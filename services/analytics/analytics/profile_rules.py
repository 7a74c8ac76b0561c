"""The rules that turn a shopper's running totals into profile tags, in plain Python.

RFM: each of recency (days since the last order), frequency (orders placed and not
cancelled) and monetary (what they cost, minor units of the shop's currency) is scored
1 to 3 against fixed thresholds (below); the segment comes from R and F, the classic
grid (M is reported as a score). Fixed thresholds, not quantiles: a tag then means the
same thing whoever else shops, and is scored from one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# The currency whose amounts the monetary score counts (an order in another counts
# toward frequency only).
PROFILE_CURRENCY = "CNY"
# Recency: at most this many days since the last order scores 3, then 2; older is 1.
RECENCY_DAYS = (30, 90)
# Frequency: at least this many orders scores 3, then 2; one is 1.
FREQUENCY_ORDERS = (5, 2)
# Monetary: at least ¥2000 scores 3, ¥500 scores 2.
MONETARY_MINOR = (200_000, 50_000)
# Price band by the average item's price: below ¥50 budget, below ¥200 mid, else premium.
PRICE_BANDS_MINOR = (5_000, 20_000)
# Churn: the time since the last order against the user's usual gap between orders (a
# one-order user's gap is taken as 30 days); never shorter than a week.
DEFAULT_GAP = timedelta(days=30)
MIN_GAP = timedelta(days=7)
CHURN_MEDIUM, CHURN_HIGH = 1.5, 3.0
CHURN_ALWAYS_HIGH = timedelta(days=180)
PREFERRED_CATEGORIES = 3


class Segment(StrEnum):
    PROSPECT = "prospect"  # no order yet
    CHAMPION = "champion"  # R3 F3
    LOYAL = "loyal"  # R >= 2, F >= 2
    NEW = "new"  # R3 F1
    PROMISING = "promising"  # R2 F1
    AT_RISK = "at_risk"  # R1, F >= 2
    HIBERNATING = "hibernating"  # R1 F1


class PriceBand(StrEnum):
    BUDGET = "budget"
    MID = "mid"
    PREMIUM = "premium"


class ChurnRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Totals:
    orders: int
    spent: int
    units: int
    first_order_at: datetime | None
    last_order_at: datetime | None


def _score(value: float, high: float, middle: float) -> int:
    return 3 if value >= high else 2 if value >= middle else 1


def recency_score(since: timedelta) -> int:
    recent, middle = RECENCY_DAYS
    return 3 if since <= timedelta(days=recent) else 2 if since <= timedelta(days=middle) else 1


def segment(r: int, f: int) -> Segment:
    if r == 3:
        return Segment.CHAMPION if f == 3 else Segment.LOYAL if f == 2 else Segment.NEW
    if r == 2:
        return Segment.LOYAL if f >= 2 else Segment.PROMISING
    return Segment.AT_RISK if f >= 2 else Segment.HIBERNATING


def price_band(spent: int, units: int) -> PriceBand | None:
    if units <= 0:
        return None
    average = spent / units
    low, high = PRICE_BANDS_MINOR
    return PriceBand.BUDGET if average < low else PriceBand.MID if average < high \
        else PriceBand.PREMIUM


def churn_risk(totals: Totals, since: timedelta) -> ChurnRisk:
    gap = DEFAULT_GAP
    if totals.orders >= 2 and totals.first_order_at and totals.last_order_at:
        gap = (totals.last_order_at - totals.first_order_at) / (totals.orders - 1)
    ratio = since / max(gap, MIN_GAP)
    if since > CHURN_ALWAYS_HIGH or ratio > CHURN_HIGH:
        return ChurnRisk.HIGH
    return ChurnRisk.MEDIUM if ratio > CHURN_MEDIUM else ChurnRisk.LOW


def tags(totals: Totals, now: datetime) -> dict[str, object]:
    """The profile tags of ``totals`` as of ``now`` (recency moves with the clock, so it
    is scored on read, from the one row)."""
    if totals.orders <= 0 or totals.last_order_at is None:
        return {"segment": Segment.PROSPECT.value, "rfm": None, "recency_days": None,
                "price_band": None, "churn_risk": None}
    since = max(now - totals.last_order_at, timedelta(0))
    r = recency_score(since)
    f = _score(totals.orders, *FREQUENCY_ORDERS)
    m = _score(totals.spent, *MONETARY_MINOR)
    band = price_band(totals.spent, totals.units)
    return {"segment": segment(r, f).value,
            "rfm": {"recency": r, "frequency": f, "monetary": m},
            "recency_days": since.days,
            "price_band": band.value if band else None,
            "churn_risk": churn_risk(totals, since).value}
