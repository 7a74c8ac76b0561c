"""The middle-platform (中台) integration feed: its record, its topics, and the inbound
member-permission record. The one definition; ``docs/integration.md`` explains it.

A feed record is not an event envelope: it is a documented shape of its own, published
as it is on ``integration.*`` topics (keyed by the entity id) and POSTed to partners'
webhooks. Each record carries the entity's whole state as the feed knows it after the
change, and a per-entity ``sequence`` (1, 2, 3 ... gap-free), so a consumer that keeps
the highest sequence applied per entity and ignores any record at or below it ends in
the same state whatever order and however often records arrive.

``RECORD_JSON_SCHEMAS`` (JSON Schema 2020-12, one per topic) is what partners validate
against; ``RecordSchema`` (marshmallow) is what the producer checks before it writes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from marshmallow import Schema, fields, validate

SCHEMA_VERSION = 1
CONTENT_TYPE = "application/vnd.shop.integration-record.v1+json"


class EntityType(StrEnum):
    ORDER = "order"  # key: order_id
    INVENTORY = "inventory"  # key: the SKU code
    MEMBER = "member"  # key: user_id
    PAYMENT = "payment"  # key: payment_id
    REFUND = "refund"  # key: refund_id (on the payments topic)


class Change(StrEnum):
    """What happened to the entity (the record's ``change``)."""

    ORDER_PLACED = "order_placed"
    ORDER_PAID = "order_paid"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_COMPLETED = "order_completed"
    ORDER_REFUNDED = "order_refunded"
    STOCK_CHANGED = "stock_changed"
    MEMBER_REGISTERED = "member_registered"
    MEMBERSHIP_CHANGED = "membership_changed"
    PAYMENT_CONFIRMED = "payment_confirmed"
    PAYMENT_FAILED = "payment_failed"
    CASH_ON_DELIVERY_CHOSEN = "cash_on_delivery_chosen"
    REFUND_ISSUED = "refund_issued"


class Topic(StrEnum):
    ORDERS = "integration.orders"
    INVENTORY = "integration.inventory"
    MEMBERS = "integration.members"
    PAYMENTS = "integration.payments"
    # Sent back by the middle platform, read by the user service.
    MEMBER_PERMISSIONS_INBOUND = "integration.member-permissions.inbound"


TOPIC_OF: dict[EntityType, Topic] = {
    EntityType.ORDER: Topic.ORDERS,
    EntityType.INVENTORY: Topic.INVENTORY,
    EntityType.MEMBER: Topic.MEMBERS,
    EntityType.PAYMENT: Topic.PAYMENTS,
    EntityType.REFUND: Topic.PAYMENTS,
}


def integration_topics() -> list[str]:
    """Every topic of the integration feed, outbound and inbound."""
    return sorted(topic.value for topic in Topic)


class RecordSchema(Schema):
    """One feed record (what the producer validates before writing it)."""

    schema_version = fields.Integer(required=True, strict=True,
                                    validate=validate.Equal(SCHEMA_VERSION))
    entity_type = fields.String(required=True,
                                validate=validate.OneOf([t.value for t in EntityType]))
    entity_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sequence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    change = fields.String(required=True, validate=validate.OneOf([c.value for c in Change]))
    source_event_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    source_event_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    occurred_at = fields.String(required=True)  # RFC 3339, UTC, as the source event said
    data = fields.Dict(keys=fields.String(), required=True)


_RECORD_SCHEMA = RecordSchema()  # holds no per-call state: built once (50 us a build)


def validate_record(record: dict[str, Any]) -> None:
    """Raise ``marshmallow.ValidationError`` unless ``record`` is a valid feed record."""
    errors = _RECORD_SCHEMA.validate(record)
    if errors:
        from marshmallow import ValidationError

        raise ValidationError(errors)


class MemberPermissionsSchema(Schema):
    """Inbound (``integration.member-permissions.inbound``, key = member_id): the member's
    whole set of middle-platform permissions as of ``sequence`` (per member, 1, 2, ...)."""

    member_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sequence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    permissions = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_.:-]{0,63}$")),
        required=True, validate=validate.Length(max=50))
    changed_at = fields.AwareDateTime(required=True)


# --- JSON Schemas (for partners; held to the producer's records by a test) -------------

_MONEY = {"type": "object", "required": ["amount", "currency"],
          "properties": {"amount": {"type": "integer", "minimum": 0},
                         "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": ["string", "null"]}

DATA_JSON_SCHEMAS: dict[EntityType, dict[str, Any]] = {
    EntityType.ORDER: {
        "type": "object",
        "required": ["order_id", "status"],
        "properties": {
            "order_id": {"type": "string"},
            "user_id": _TEXT,
            "status": {"enum": ["unknown", "placed", "paid", "cancelled", "completed"]},
            "total": {"oneOf": [_MONEY, {"type": "null"}]},
            "lines": {"type": "array", "items": {
                "type": "object", "required": ["sku", "quantity"],
                "properties": {"sku": {"type": "string"},
                               "quantity": {"type": "integer", "minimum": 1},
                               "product_id": {"type": ["integer", "null"]}}}},
            "placed_at": _TIME, "paid_at": _TIME, "cancelled_at": _TIME,
            "completed_at": _TIME, "cancel_reason": _TEXT,
            "refunded": {"type": "integer", "minimum": 0,
                         "description": "minor units refunded so far"},
        },
    },
    EntityType.INVENTORY: {
        "type": "object",
        "required": ["sku", "product_id", "available", "price"],
        "properties": {"sku": {"type": "string"}, "product_id": {"type": "integer"},
                       "available": {"type": "integer", "minimum": 0}, "price": _MONEY,
                       "updated_at": _TIME},
    },
    EntityType.MEMBER: {
        "type": "object",
        "required": ["user_id"],
        "properties": {"user_id": {"type": "string"}, "nickname": _TEXT,
                       "registered_at": _TIME, "level": _TEXT,
                       "growth": {"type": ["integer", "null"]},
                       "points_balance": {"type": ["integer", "null"]},
                       "membership_changed_at": _TIME},
    },
    EntityType.PAYMENT: {
        "type": "object",
        "required": ["payment_id", "order_id", "status"],
        "properties": {"payment_id": {"type": "string"}, "order_id": {"type": "string"},
                       "user_id": _TEXT,
                       "status": {"enum": ["confirmed", "failed", "cash_on_delivery"]},
                       "method": _TEXT, "amount": {"oneOf": [_MONEY, {"type": "null"}]},
                       "failure_reason": _TEXT, "at": _TIME},
    },
    EntityType.REFUND: {
        "type": "object",
        "required": ["refund_id", "order_id", "amount"],
        "properties": {"refund_id": {"type": "string"}, "order_id": {"type": "string"},
                       "user_id": _TEXT, "amount": _MONEY, "method": _TEXT,
                       "destination": _TEXT, "fully_refunded": {"type": "boolean"},
                       "duplicate_payment": {"type": "boolean"}, "issued_at": _TIME},
    },
}


def record_json_schema(topic: Topic) -> dict[str, Any]:
    """The JSON Schema of a record on an outbound ``topic``."""
    types = [t for t, on in TOPIC_OF.items() if on == topic]
    variants = [{
        "properties": {"entity_type": {"const": t.value}, "data": DATA_JSON_SCHEMAS[t]},
    } for t in types]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:shop:integration:{topic.value}:v{SCHEMA_VERSION}",
        "title": f"Record on {topic.value}",
        "type": "object",
        "required": ["schema_version", "entity_type", "entity_id", "sequence", "change",
                     "source_event_id", "source_event_type", "occurred_at", "data"],
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "entity_type": {"enum": [t.value for t in types]},
            "entity_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "sequence": {"type": "integer", "minimum": 1,
                         "description": "per entity, 1, 2, 3 ... without gaps"},
            "change": {"enum": [c.value for c in Change]},
            "source_event_id": {"type": "string"},
            "source_event_type": {"type": "string"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "data": {"type": "object"},
        },
        "oneOf": variants,
    }


RECORD_JSON_SCHEMAS: dict[str, dict[str, Any]] = {
    topic.value: record_json_schema(topic)
    for topic in (Topic.ORDERS, Topic.INVENTORY, Topic.MEMBERS, Topic.PAYMENTS)
}

MEMBER_PERMISSIONS_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:shop:integration:{Topic.MEMBER_PERMISSIONS_INBOUND.value}:v1",
    "type": "object",
    "required": ["member_id", "sequence", "permissions", "changed_at"],
    "properties": {
        "member_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "sequence": {"type": "integer", "minimum": 1},
        "permissions": {"type": "array", "maxItems": 50,
                        "items": {"type": "string", "pattern": "^[a-z][a-z0-9_.:-]{0,63}$"}},
        "changed_at": {"type": "string", "format": "date-time"},
    },
}
