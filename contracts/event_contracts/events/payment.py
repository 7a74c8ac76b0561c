"""Events the payment service produces."""

from marshmallow import fields, validate

from event_contracts.common import MoneySchema
from event_contracts.registry import EventSchema, event_schema

PAYMENT_METHODS = ("balance", "alipay", "wechat", "card", "cod")


@event_schema("PaymentConfirmed", 1)
class PaymentConfirmedV1(EventSchema):
    payment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    confirmed_at = fields.AwareDateTime(required=True)
