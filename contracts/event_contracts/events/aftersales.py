"""Events the after-sales service produces."""

from marshmallow import fields, validate

from event_contracts.registry import EventSchema, event_schema

RETURN_TYPES = ("refund_only", "return_refund", "exchange")


class ReturnLineSchema(EventSchema):
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@event_schema("ReturnRequested", 1)
class ReturnRequestedV1(EventSchema):
    return_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(RETURN_TYPES))
    lines = fields.List(
        fields.Nested(ReturnLineSchema), required=True, validate=validate.Length(min=1)
    )
    reason = fields.String(required=True, validate=validate.Length(max=1000))
    requested_at = fields.AwareDateTime(required=True)
