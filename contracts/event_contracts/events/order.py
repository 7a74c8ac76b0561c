"""Events the order service produces."""

from enum import StrEnum

from marshmallow import fields, validate

from event_contracts.common import (
    MoneySchema,
    OrderLineSchema,
    QuantityLineSchema,
    ShippingAddressSchema,
)
from event_contracts.registry import EventSchema, event_schema
from event_contracts.vocabulary import DeliveryMethod

DELIVERY_METHODS = tuple(method.value for method in DeliveryMethod)


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
    # A copy of the address at checkout: later edits of the address book do not move it.
    shipping_address = fields.Nested(ShippingAddressSchema, required=False, allow_none=True)
    placed_at = fields.AwareDateTime(required=True)
    # When an unpaid order is cancelled (payment deadline).
    payment_due_at = fields.AwareDateTime(required=False, allow_none=True)
    coupon_code = fields.String(required=False, allow_none=True)


class CancelledBy(StrEnum):
    BUYER = "buyer"
    STOCK = "stock"  # refused by the catalog
    PAYMENT_DEADLINE = "payment_deadline"
    REFUND = "refund"  # refunded in full before shipping
    ADMIN = "admin"


@event_schema("OrderCancelled", 1)
class OrderCancelledV1(EventSchema):
    """An order was cancelled (by the buyer, for want of stock or payment): release its stock.

    The payment service refunds whatever was paid for it and not yet refunded.
    """

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lines = fields.List(fields.Nested(QuantityLineSchema), required=True)
    cancelled_at = fields.AwareDateTime(required=True)
    cancelled_by = fields.String(required=False, allow_none=True,
                                 validate=validate.OneOf([by.value for by in CancelledBy]))


class CompletedBy(StrEnum):
    BUYER = "buyer"  # confirmed receipt
    AUTO = "auto"  # some time after delivery


@event_schema("OrderCompleted", 1)
class OrderCompletedV1(EventSchema):
    """The buyer confirmed receipt, or the order completed itself some time after delivery."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    completed_by = fields.String(required=True,
                                 validate=validate.OneOf([by.value for by in CompletedBy]))
    completed_at = fields.AwareDateTime(required=True)
