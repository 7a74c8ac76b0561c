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
from event_contracts.vocabulary import AdjustmentKind, CampaignKind, DeliveryMethod

DELIVERY_METHODS = tuple(method.value for method in DeliveryMethod)


class PriceAdjustmentSchema(EventSchema):
    """One line of the breakdown the order was charged: a discount, or the shipping fee."""

    kind = fields.String(required=True,
                         validate=validate.OneOf([kind.value for kind in AdjustmentKind]))
    # The promotion or coupon template it came from (none for points and shipping).
    source_id = fields.String(required=False, allow_none=True)
    label = fields.String(required=True, validate=validate.Length(max=200))
    amount = fields.Nested(MoneySchema, required=True)


class OrderCampaignSchema(EventSchema):
    """The campaign an order was bought through (none for ordinary orders)."""

    kind = fields.String(required=True,
                         validate=validate.OneOf([kind.value for kind in CampaignKind]))
    # The group-buy campaign, or the flash session.
    campaign_id = fields.String(required=True)
    # group_buy: the group the order joins; ``starts_group``: the order starts it (marketing
    # creates the group with this id when it holds the order's slot).
    group_id = fields.String(required=False, allow_none=True)
    starts_group = fields.Boolean(required=False)
    # flash_sale: the attempt the order was made from (one order per attempt).
    attempt_id = fields.String(required=False, allow_none=True)


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
    # The price breakdown (orders priced by the marketing service's engine): ``total`` is
    # what the buyer pays, = sum of the lines' ``payable`` = subtotal - discount_total -
    # points_used (1 point = 1 fen) + shipping. ``discount_total``: promotions and coupon.
    discount_total = fields.Nested(MoneySchema, required=False, allow_none=True)
    shipping = fields.Nested(MoneySchema, required=False, allow_none=True)
    adjustments = fields.List(fields.Nested(PriceAdjustmentSchema), required=False)
    # The buyer's coupon to lock (marketing answers CouponLocked or CouponRejected).
    user_coupon_id = fields.String(required=False, allow_none=True)
    # Points to lock (the user service answers PointsLocked or PointsRejected).
    points_used = fields.Integer(required=False, strict=True, validate=validate.Range(min=0))
    # A group-buy order waits for GroupSlotHeld (or GroupSlotRejected) before it is payable;
    # a flash-sale order's stock comes from its session's hold.
    campaign = fields.Nested(OrderCampaignSchema, required=False, allow_none=True)


class CancelledBy(StrEnum):
    BUYER = "buyer"
    STOCK = "stock"  # refused by the catalog
    COUPON = "coupon"  # the coupon could not be locked (used elsewhere, expired)
    POINTS = "points"  # the points could not be locked (balance too low)
    PAYMENT_DEADLINE = "payment_deadline"
    REFUND = "refund"  # refunded in full before shipping
    ADMIN = "admin"
    GROUP_BUY = "group_buy"  # its group could not take it, or failed to fill in time


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


class FlashOrderRejection(StrEnum):
    """Why a won flash attempt could not become an order (``FlashOrderRejected.reason``)."""

    UNKNOWN_ADDRESS = "unknown_address"  # not in the buyer's address book
    NOT_ORDERABLE = "not_orderable"  # the SKU or its price could not be had


@event_schema("FlashOrderRejected", 1)
class FlashOrderRejectedV1(EventSchema):
    """A won flash attempt made no order: marketing gives its units back to the session."""

    attempt_id = fields.String(required=True)
    session_id = fields.String(required=True)
    user_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        [reason.value for reason in FlashOrderRejection]))
    rejected_at = fields.AwareDateTime(required=True)
