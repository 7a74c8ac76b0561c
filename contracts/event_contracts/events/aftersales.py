"""Events the after-sales service produces."""

from marshmallow import fields, validate

from event_contracts.common import MoneySchema, QuantityLineSchema
from event_contracts.registry import EventSchema, event_schema
from event_contracts.vocabulary import ReturnKind

RETURN_TYPES = tuple(kind.value for kind in ReturnKind)


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
    # What the buyer would get back (zero for an exchange).
    refund = fields.Nested(MoneySchema, required=False, allow_none=True)


@event_schema("ReturnApproved", 1)
class ReturnApprovedV1(EventSchema):
    """The merchant accepted a request. A ``refund_only`` request is refunded now; a
    ``return_refund`` or ``exchange`` waits for the goods (``ReturnReceived``)."""

    return_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(RETURN_TYPES))
    lines = fields.List(
        fields.Nested(QuantityLineSchema), required=True, validate=validate.Length(min=1)
    )
    refund = fields.Nested(MoneySchema, required=True)
    approved_at = fields.AwareDateTime(required=True)


@event_schema("ReturnRejected", 1)
class ReturnRejectedV1(EventSchema):
    return_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.Length(max=1000))
    rejected_at = fields.AwareDateTime(required=True)


@event_schema("ReturnReceived", 1)
class ReturnReceivedV1(EventSchema):
    """The merchant received the returned goods: ``return_refund`` is refunded and its goods
    go back to stock; ``exchange`` gets a replacement shipment."""

    return_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(RETURN_TYPES))
    lines = fields.List(
        fields.Nested(QuantityLineSchema), required=True, validate=validate.Length(min=1)
    )
    refund = fields.Nested(MoneySchema, required=True)
    received_at = fields.AwareDateTime(required=True)


@event_schema("ReviewPosted", 1)
class ReviewPostedV1(EventSchema):
    review_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    product_id = fields.Integer(required=True, strict=True)
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    text = fields.String(required=True, validate=validate.Length(max=2000))
    posted_at = fields.AwareDateTime(required=True)
