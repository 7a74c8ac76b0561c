"""The quick check of one behaviour event, on the ingestion path.

``TrackEventSchema`` (marshmallow) is the definition of a valid event and what the OpenAPI
document shows; loading it costs about a quarter of a millisecond an event, most of
what a batch costs. So every event first goes through :func:`quick_load`, plain Python
written to the schema's rules, and only one it does not pass is loaded by the schema,
which then words the problems. ``tests/test_analytics_event_check.py`` holds the two to
the same verdicts and values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import ValidationError

from analytics import domain
from analytics.domain import EventType
from analytics.schemas import TrackEventSchema
from service_runtime.bounds import INT32_MAX

TYPES = frozenset(t.value for t in EventType)
FIELDS = frozenset(TrackEventSchema._declared_fields)
# The schema's own parser of an aware timestamp: what it accepts is the contract.
_OCCURRED_AT = TrackEventSchema._declared_fields["occurred_at"]
# Optional text fields and their (min, max) lengths.
TEXTS = {"name": (1, domain.MAX_NAME), "event_id": (1, domain.MAX_EVENT_ID),
         "path": (0, domain.MAX_PATH)}


def quick_load(raw: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The event as the schema would load it, or None if it may not be valid (the schema
    then decides, and says why)."""
    if not FIELDS.issuperset(raw):
        return None
    kind, session_id = raw.get("type"), raw.get("session_id")
    if type(kind) is not str or kind not in TYPES or type(session_id) is not str \
            or not 1 <= len(session_id) <= domain.MAX_SESSION_ID:
        return None
    event: dict[str, Any] = {"type": kind, "session_id": session_id}
    for name, (shortest, longest) in TEXTS.items():
        value = raw.get(name)
        if value is not None and (type(value) is not str
                                  or not shortest <= len(value) <= longest):
            return None
        event[name] = value
    product_id = raw.get("product_id")
    if product_id is not None and (type(product_id) is not int
                                   or not 1 <= product_id <= INT32_MAX):
        return None
    event["product_id"] = product_id
    props = raw.get("props")
    if props is not None:
        if type(props) is not dict or not all(type(key) is str for key in props):
            return None
        try:
            domain.check_props(props)
        except ValueError:
            return None
    event["props"] = props
    occurred_at = raw.get("occurred_at")
    if type(occurred_at) is not str:
        return None
    try:
        event["occurred_at"] = _OCCURRED_AT.deserialize(occurred_at)
        domain.check_occurred_at(event["occurred_at"], now)
    except (ValueError, ValidationError):
        return None
    return event
