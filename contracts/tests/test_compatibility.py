"""Every schema change must keep existing consumers working (see event_contracts.compat)."""

import json

import pytest
from marshmallow import Schema, fields

from event_contracts.compat import (
    SNAPSHOT_DIR,
    current_descriptions,
    describe_schema,
    incompatibilities,
    snapshot_path,
)

CURRENT = current_descriptions()


@pytest.mark.parametrize("name", sorted(CURRENT))
def test_released_schema_has_a_snapshot_and_stays_compatible_with_it(name):
    path = snapshot_path(name)
    assert path.exists(), f"run `python -m event_contracts.compat` to snapshot {name}"
    released = json.loads(path.read_text())
    assert incompatibilities(released, CURRENT[name]) == []


def test_no_released_schema_version_disappears():
    released = {p.stem for p in SNAPSHOT_DIR.glob("*.json")}
    assert released - set(CURRENT) == set()


class Line(Schema):
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True)


class Released(Schema):
    order_id = fields.String(required=True)
    note = fields.String(required=False)
    lines = fields.List(fields.Nested(Line), required=True)


def check(**changes):
    new_schema = Schema.from_dict({**Released().fields, **changes})
    return incompatibilities(describe_schema(Released), describe_schema(new_schema))


def test_adding_an_optional_field_is_compatible():
    assert check(coupon=fields.String(required=False)) == []


def test_adding_a_required_field_is_a_break():
    assert check(coupon=fields.String(required=True)) == ["coupon: new field is required"]


def test_changing_a_type_is_a_break():
    assert check(order_id=fields.Integer(required=True)) == [
        "order_id: type changed from String to Integer"
    ]


def test_making_a_required_field_optional_or_nullable_is_a_break():
    assert check(order_id=fields.String(required=False)) == [
        "order_id: was required, now optional"
    ]
    assert check(order_id=fields.String(required=True, allow_none=True)) == [
        "order_id: may now be null"
    ]


def test_removing_a_field_is_a_break():
    new_schema = Schema.from_dict({"lines": Released().fields["lines"]})
    assert incompatibilities(describe_schema(Released), describe_schema(new_schema)) == [
        "note: removed",
        "order_id: removed",
    ]


def test_breaks_inside_nested_lists_are_found():
    Line2 = Schema.from_dict({"sku": fields.String(required=True)})
    assert check(lines=fields.List(fields.Nested(Line2), required=True)) == [
        "lines[].quantity: removed"
    ]
