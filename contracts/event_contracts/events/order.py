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


class CancelledLineSchema(EventSchema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@event_schema("OrderCancelled", 1)
class OrderCancelledV1(EventSchema):
    """An order was cancelled (by the buyer, for want of stock or payment): release its stock."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lines = fields.List(fields.Nested(CancelledLineSchema), required=True)
    cancelled_at = fields.AwareDateTime(required=True)
