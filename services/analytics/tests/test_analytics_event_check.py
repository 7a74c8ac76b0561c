"""The quick check of an event (the ingestion path) and the schema (the definition, and
the OpenAPI document) agree: what one keeps the other keeps, with the same values."""

from datetime import timedelta

import pytest
from marshmallow import ValidationError

from analytics.event_check import quick_load
from analytics.schemas import TrackEventSchema
from service_runtime.ids import utcnow

NOW = utcnow()
AT = (NOW - timedelta(minutes=1)).isoformat()
GOOD = {"type": "page_view", "occurred_at": AT, "session_id": "s"}

CASES = [
    GOOD,
    {**GOOD, "name": "pay", "event_id": "e" * 64, "path": "", "product_id": 2**31 - 1,
     "props": {"q": "电热水壶", "n": 1, "f": 1.5, "b": False, "z": None}},
    {**GOOD, "name": None, "event_id": None, "path": None, "product_id": None, "props": None},
    {**GOOD, "occurred_at": "2026-12-03T08:00:00+08:00"},
    {**GOOD, "occurred_at": (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    {**GOOD, "type": "teleport"}, {**GOOD, "type": 1}, {**GOOD, "type": ["page_view"]},
    {k: v for k, v in GOOD.items() if k != "type"},
    {k: v for k, v in GOOD.items() if k != "occurred_at"},
    {k: v for k, v in GOOD.items() if k != "session_id"},
    {**GOOD, "session_id": ""}, {**GOOD, "session_id": "s" * 65}, {**GOOD, "session_id": 5},
    {**GOOD, "session_id": None},
    {**GOOD, "name": ""}, {**GOOD, "name": "n" * 101}, {**GOOD, "name": 3},
    {**GOOD, "event_id": ""}, {**GOOD, "event_id": "e" * 65},
    {**GOOD, "path": "p" * 513}, {**GOOD, "path": 1},
    {**GOOD, "product_id": 0}, {**GOOD, "product_id": 2**31}, {**GOOD, "product_id": "7"},
    {**GOOD, "product_id": 7.0}, {**GOOD, "product_id": True},
    {**GOOD, "props": []}, {**GOOD, "props": "x"}, {**GOOD, "props": {"k": [1]}},
    {**GOOD, "props": {f"k{n}": n for n in range(21)}},
    {**GOOD, "occurred_at": "2026-12-03T08:00:00"},  # no offset
    {**GOOD, "occurred_at": "2026-12-03"}, {**GOOD, "occurred_at": "yesterday"},
    {**GOOD, "occurred_at": 1733212800}, {**GOOD, "occurred_at": None},
    {**GOOD, "occurred_at": (NOW + timedelta(hours=1)).isoformat()},
    {**GOOD, "occurred_at": (NOW - timedelta(days=8)).isoformat()},
    {**GOOD, "user_id": "bob"}, {**GOOD, "extra": 1},
]


@pytest.mark.parametrize("raw", CASES)
def test_the_quick_check_keeps_what_the_schema_keeps(raw):
    try:
        expected = TrackEventSchema().load(raw)
    except ValidationError:
        expected = None
    quick = quick_load(raw, utcnow())
    if expected is None:
        assert quick is None
    else:
        assert quick == expected
