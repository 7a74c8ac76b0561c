"""Events the order service produces."""

from marshmallow import fields, validate

from event_contracts.common import MoneySchema, OrderLineSchema
from event_contracts.registry import EventSchema, event_schema

DELIVERY_METHODS = ("standard", "express", "pickup")


@event_schema("OrderPlaced", 1)
class OrderPlacedV1(EventSchema):
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    lines = fields.List(
        fields.Nested(OrderLineSchema), required=True, validate=validate.Length(min=1)
    )
    total = fields.Nested(MoneySchema, required=True)
    delivery_method = fields.String(required=True, validate=validate.OneOf(DELIVERY_METHODS))
    address_id = fields.String(required=False, allow_none=True)
    placed_at = fields.AwareDateTime(required=True)
