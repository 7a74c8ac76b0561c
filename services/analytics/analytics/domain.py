"""The analytics rules in plain Python: nothing here touches a database or Flask."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from event_contracts.vocabulary import TrackEventType
from service_runtime.errors import InvalidInput

# A batch of behaviour events: at most this many, each bounded below.
MAX_EVENTS_PER_BATCH = 100
MAX_SESSION_ID = 64
MAX_EVENT_ID = 64
MAX_NAME = 100
MAX_PATH = 512
MAX_PROPS = 20
MAX_PROP_KEY = 40
MAX_PROP_TEXT = 200
MAX_PROPS_BYTES = 2048
# Clients buffer events while offline, and their clocks drift: an event may be this old,
# or this far in the future, and still be kept.
MAX_EVENT_AGE = timedelta(days=7)
MAX_CLOCK_SKEW = timedelta(minutes=10)
# The admin reports span at most this many days.
MAX_REPORT_DAYS = 366


# The event types of POST /track cross services (the storefront sends them too).
EventType = TrackEventType


class SalesGrouping(StrEnum):
    DAY = "day"
    CATEGORY = "category"
    PRODUCT = "product"


class FunnelStep(StrEnum):
    """The steps of the purchase funnel, in order."""

    PRODUCT_VIEW = "product_view"
    ADD_TO_CART = "add_to_cart"
    ORDER = "order"
    PAID = "paid"


def check_props(props: dict[str, Any]) -> None:
    """Raise ValueError unless ``props`` is a small flat map of scalars."""
    if len(props) > MAX_PROPS:
        raise ValueError(f"at most {MAX_PROPS} properties")
    for key, value in props.items():
        if not 1 <= len(key) <= MAX_PROP_KEY:
            raise ValueError(f"a property name has 1 to {MAX_PROP_KEY} characters")
        if isinstance(value, str):
            if len(value) > MAX_PROP_TEXT:
                raise ValueError(f"{key}: text of at most {MAX_PROP_TEXT} characters")
        elif value is not None and not isinstance(value, bool | int | float):
            raise ValueError(f"{key}: a property is text, a number, true/false or null")
    if len(canonical(props).encode()) > MAX_PROPS_BYTES:
        raise ValueError(f"properties of at most {MAX_PROPS_BYTES} bytes as JSON")


def check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise ValueError("in the future")
    if occurred_at < now - MAX_EVENT_AGE:
        raise ValueError(f"older than {MAX_EVENT_AGE.days} days")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def content_event_id(event: dict[str, Any]) -> str:
    """The id of an event sent without ``event_id``: a digest of what it says, so that a
    retried batch is recognised all the same (two identical events of one session at the
    same instant are one)."""
    described = {key: event.get(key) for key in
                 ("type", "name", "occurred_at", "path", "product_id", "props")}
    digest = hashlib.sha256(canonical(described).encode()).hexdigest()
    return "h:" + digest[:40]


def day_window(start: date, end: date) -> tuple[datetime, datetime]:
    """``start`` to ``end`` as whole UTC days, both included: [start 00:00, end+1 00:00)."""
    if end < start:
        raise InvalidInput("'to' is before 'from'")
    if (end - start).days + 1 > MAX_REPORT_DAYS:
        raise InvalidInput(f"a report spans at most {MAX_REPORT_DAYS} days")
    return (datetime.combine(start, time(), UTC),
            datetime.combine(end + timedelta(days=1), time(), UTC))


def average(total: int, count: int) -> int:
    """``total / count`` in whole minor units, halves rounded up (0 for no count)."""
    if count <= 0:
        return 0
    return (2 * total + count) // (2 * count)


def conversion(reached: int, previous: int | None) -> float | None:
    """The share of the previous step's users who reached this one (None for the first
    step, or when nobody reached the previous one), to four decimals."""
    if previous is None or previous == 0:
        return None
    return round(reached / previous, 4)
