"""The compiled check of outgoing events is never looser than marshmallow: whatever it
accepts, the schema's strict load accepts. Every platform schema is compiled, each
example passes the fast path, and thousands of mutated examples (fields dropped, added,
retyped, pushed past their bounds) are held to marshmallow's verdict. The fast load of
incoming events gives exactly what marshmallow's load gives, on the same examples."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import EXCLUDE, RAISE, ValidationError, fields, validates_schema

import event_contracts.events
from event_contracts import REGISTRY, ContractViolation
from event_contracts.compiled import compile_incoming, compile_outgoing
from event_contracts.registry import EventSchema, platform_schemas

EXAMPLES = Path(event_contracts.events.__file__).parent.parent / "examples"
SCHEMAS = platform_schemas()


def example(key: tuple[str, int]) -> dict:
    return json.loads((EXAMPLES / f"{key[0]}.v{key[1]}.json").read_text())["data"]


def marshmallow_accepts(schema: type, data: Any) -> bool:
    try:
        schema(unknown=RAISE).load(data)
    except (ValidationError, TypeError, ValueError, AttributeError):
        return False
    return True


@pytest.mark.parametrize(("key", "schema"), SCHEMAS, ids=lambda v: str(v))
def test_every_platform_schema_is_compiled_and_its_example_takes_the_fast_path(key, schema):
    check = compile_outgoing(schema)
    assert check is not None, f"{key} falls back to marshmallow for every event"
    assert check(example(key))


# Values of every kind a field might wrongly get.
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False),
    st.sampled_from(["", "x", "CNY", "cny", "2026-12-04T10:00:00+00:00", "2026-12-04T10:00:00",
                     "2026-12-04t10:00:00z", "2026-12-04T10:00:60Z", "2026-12-04", "2026-02-30",
                     "20261204", "12", "x" * 65, "x" * 201, "a\n", "ABC\n"]),
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from(["a", "sku"]),
                                                             st.integers(0, 3), max_size=2),
    st.just(1.0), st.just(-1), st.just(0),
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a payload: dict keys and list indexes, nested."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> tuple[tuple[str, int], type, Any]:
    key, schema = draw(st.sampled_from(SCHEMAS))
    data = copy.deepcopy(example(key))
    for _ in range(draw(st.integers(1, 3))):
        places = paths(data)
        if not places:
            break
        place = draw(st.sampled_from(places))
        *parent_path, last = place
        parent = data
        for step in parent_path:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[last] = draw(ODD_VALUES)
        elif action == "drop" and isinstance(parent, dict):
            del parent[last]
        elif action == "drop" and isinstance(parent, list):
            parent.pop(last)
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "sku", "amount"]))] = draw(ODD_VALUES)
    return key, schema, data


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_what_the_compiled_check_accepts_marshmallow_accepts(case):
    key, schema, data = case
    check = compile_outgoing(schema)
    if check(data):
        assert marshmallow_accepts(schema, data), (key, data)


def test_a_rejected_event_still_gets_marshmallows_error():
    data = example(("OrderPlaced", 1))
    data["lines"][0]["quantity"] = 1.0  # an integer to JSON Schema, not to marshmallow
    assert not compile_outgoing(REGISTRY.schema("OrderPlaced", 1))(data)
    with pytest.raises(ContractViolation) as error:
        REGISTRY.validate_outgoing("OrderPlaced", 1, data)
    assert "lines" in error.value.errors


def test_what_only_marshmallow_accepts_is_still_accepted():
    class Lenient(EventSchema):
        count = fields.Integer(required=True)  # not strict: "12" is a count

    assert not compile_outgoing(Lenient)({"count": "12"})
    REGISTRY.register("LenientTested", 1, Lenient)
    REGISTRY.validate_outgoing("LenientTested", 1, {"count": "12"})


def test_a_schema_with_a_part_that_has_no_counterpart_is_not_compiled():
    class WithFloat(EventSchema):
        ratio = fields.Float(required=True)

    class WithHook(EventSchema):
        name = fields.String(required=True)

        @validates_schema
        def never(self, data: dict, **_: Any) -> None:
            raise ValidationError("never")

    assert compile_outgoing(WithFloat) is None
    assert compile_outgoing(WithHook) is None


@pytest.mark.parametrize("value", [
    datetime(2026, 12, 5, 10, 0, tzinfo=UTC), datetime(2026, 12, 5, 10, 0),
    uuid.UUID(int=7), Decimal("1.5"), b"2026-12-05T10:00:00Z", {"a"}, ("x",), object()])
def test_values_json_has_no_type_for_get_marshmallows_verdict(value):
    """A Python object in an event (a datetime, a UUID...): the compiled check cannot read
    it, so marshmallow decides, as it did alone."""
    data = example(("OrderPlaced", 1))
    data["placed_at"] = value
    schema = REGISTRY.schema("OrderPlaced", 1)
    assert not compile_outgoing(schema)(data)
    if marshmallow_accepts(schema, data):
        REGISTRY.validate_outgoing("OrderPlaced", 1, data)
    else:
        with pytest.raises(ContractViolation):
            REGISTRY.validate_outgoing("OrderPlaced", 1, data)


# --- incoming: the fast load gives what marshmallow's load gives -------------------------

def same(left: Any, right: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not True, offsets compared)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, datetime):
        return left == right and left.utcoffset() == right.utcoffset()
    return left == right


def marshmallow_load(schema: type, data: Any) -> Any:
    return schema(unknown=EXCLUDE).load(data)


@pytest.mark.parametrize(("key", "schema"), SCHEMAS, ids=lambda v: str(v))
def test_every_platform_schema_loads_its_example_fast_as_marshmallow_does(key, schema):
    load = compile_incoming(schema)
    assert load is not None, f"{key} is loaded by marshmallow only"
    fast = load(example(key))
    assert fast is not None
    assert same(fast, marshmallow_load(schema, example(key))), key


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_what_the_fast_load_loads_marshmallow_loads_the_same(case):
    key, schema, data = case
    fast = compile_incoming(schema)(copy.deepcopy(data))
    if fast is not None:
        assert same(fast, marshmallow_load(schema, data)), (key, data)


def test_an_event_with_fields_this_schema_does_not_know_is_loaded_by_marshmallow():
    """A newer producer's extra field: the fast load declines, marshmallow drops it."""
    data = {**example(("OrderPlaced", 1)), "gift_wrap": True}
    schema = REGISTRY.schema("OrderPlaced", 1)
    assert compile_incoming(schema)(data) is None
    loaded = REGISTRY.parse_incoming("OrderPlaced", 1, data)
    assert "gift_wrap" not in loaded
    assert same(loaded, marshmallow_load(schema, example(("OrderPlaced", 1))))


def test_a_loaded_event_shares_no_list_or_object_with_the_message():
    """Handlers may change what they are given: the message they were decoded from (kept
    for a retry or a dead letter) stays as it was."""
    data = example(("OrderPlaced", 1))
    loaded = REGISTRY.parse_incoming("OrderPlaced", 1, data)
    loaded["lines"][0]["quantity"] = 99
    loaded["lines"].append({})
    assert data == example(("OrderPlaced", 1))


def test_a_schema_with_a_load_default_is_loaded_by_marshmallow():
    class WithDefault(EventSchema):
        note = fields.String(load_default="none")

    assert compile_incoming(WithDefault) is None
    REGISTRY.register("WithDefaultTested", 1, WithDefault)
    assert REGISTRY.parse_incoming("WithDefaultTested", 1, {}) == {"note": "none"}
