"""Relaying another service's answer: documented by its schema, sent as it came."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from service_runtime.relay import Relayed, relayed_schema


class PartSchema(Schema):
    amount = fields.Integer(required=True)


class AnswerSchema(Schema):
    total = fields.Nested(PartSchema, required=True)
    note = fields.String()


class CartSchema(Schema):
    pricing = Relayed(AnswerSchema, allow_none=True)


def document(*schemas: type[Schema]) -> dict:
    spec = APISpec("t", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    for schema in schemas:
        spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    return spec.to_dict()["components"]["schemas"]


def test_a_relayed_field_is_sent_as_given_but_for_undeclared_top_level_keys():
    answer = {"total": {"amount": "as it came", "extra": 1}, "note": "n", "internal": "x"}
    dumped = CartSchema().dump({"pricing": answer})
    assert dumped == {"pricing": {"total": {"amount": "as it came", "extra": 1}, "note": "n"}}
    assert CartSchema().dump({"pricing": None}) == {"pricing": None}


def test_a_relayed_field_is_documented_as_its_schema():
    components = document(CartSchema)
    pricing = components["Cart"]["properties"]["pricing"]
    assert {"$ref": "#/components/schemas/Answer"} in pricing["anyOf"]  # or null
    assert components["Answer"]["required"] == ["total"]


def test_a_relayed_schema_keeps_the_name_and_fields_and_dumps_as_given():
    relay = relayed_schema(AnswerSchema)
    assert relay.__name__ == "AnswerSchema"
    assert set(relay().fields) == {"total", "note"}
    given = {"total": {"amount": 5, "kept": True}, "unknown": 1}
    assert relay().dump(given) == {"total": {"amount": 5, "kept": True}}
