"""The marketing quote as ``POST /checkout/preview`` answers it (MARKETING.md, "The
quote"): the exact breakdown ``POST /orders`` would charge for the same input."""

from marshmallow import Schema, fields, validate

from event_contracts.events.order import DELIVERY_METHODS
from event_contracts.vocabulary import AdjustmentKind
from order.domain import MAX_LINES
from order.schemas import RequestedLineSchema
from service_runtime.money import MoneySchema

KINDS = [kind.value for kind in AdjustmentKind]


class CheckoutPreviewSchema(Schema):
    lines = fields.List(fields.Nested(RequestedLineSchema), load_default=None,
                        validate=validate.Length(min=1, max=MAX_LINES),
                        metadata={"description": "Omitted: the caller's cart"})
    address_id = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=64),
                               metadata={"description": "Accepted; prices do not depend on it"})
    delivery_method = fields.String(load_default=None, allow_none=True,
                                    validate=validate.OneOf(DELIVERY_METHODS),
                                    metadata={"description": "Omitted: standard"})
    coupon_id = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=64),
                              metadata={"description": "A user coupon of the caller; omitted "
                                                       "(and no coupon_code): the best usable "
                                                       "one is applied"})
    coupon_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=64),
                                metadata={"description": "A redeem code the caller holds"})
    points = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0),
                            metadata={"description": "Points to spend (1 point = 1 fen)"})


class AdjustmentSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    source_id = fields.String(allow_none=True)
    label = fields.String()
    amount = fields.Nested(MoneySchema, metadata={"description": "positive"})


class AllocationSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    source_id = fields.String(allow_none=True)
    amount = fields.Nested(MoneySchema)


class QuoteLineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Nested(MoneySchema)
    subtotal = fields.Nested(MoneySchema)
    payable = fields.Nested(MoneySchema, metadata={
        "description": "after its share of every discount and points, with its share of "
                       "shipping; a refund of the whole line gives back exactly this"})
    points = fields.Integer()
    allocations = fields.List(fields.Nested(AllocationSchema))


class QuotedCouponSchema(Schema):
    """A user coupon as the quote shows it (``discount`` when usable, ``reason`` when not)."""

    id = fields.String()
    user_coupon_id = fields.String()
    template_id = fields.String()
    name = fields.String()
    kind = fields.String()
    amount_off = fields.Raw(allow_none=True)
    percent_off = fields.Integer(allow_none=True)
    max_discount = fields.Raw(allow_none=True)
    min_spend = fields.Raw(allow_none=True)
    valid_until = fields.String(allow_none=True)
    discount = fields.Nested(MoneySchema)
    reason = fields.String()


class QuotedCouponsSchema(Schema):
    usable = fields.List(fields.Nested(QuotedCouponSchema))
    unusable = fields.List(fields.Nested(QuotedCouponSchema))


class QuotedPromotionSchema(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    applied = fields.Boolean()
    discount = fields.Nested(MoneySchema)


class NextTierSchema(Schema):
    promotion_id = fields.String()
    threshold = fields.Nested(MoneySchema)
    off = fields.Nested(MoneySchema)
    missing = fields.Nested(MoneySchema)
    hint = fields.String(metadata={"example": "再买 ¥23.00 可减 ¥40.00"})


class QuotedPointsSchema(Schema):
    balance = fields.Integer()
    requested = fields.Integer()
    used = fields.Integer()
    max_usable = fields.Integer()


class QuoteSchema(Schema):
    currency = fields.String()
    subtotal = fields.Nested(MoneySchema, metadata={"description": "unit price x quantity"})
    discount_total = fields.Nested(MoneySchema)
    shipping = fields.Nested(MoneySchema)
    points_used = fields.Integer()
    points_value = fields.Nested(MoneySchema)
    payable = fields.Nested(MoneySchema, metadata={
        "description": "subtotal - discount_total - points_value + shipping: the order total"})
    adjustments = fields.List(fields.Nested(AdjustmentSchema))
    lines = fields.List(fields.Nested(QuoteLineSchema))
    applied_coupon = fields.Nested(QuotedCouponSchema, allow_none=True)
    coupons = fields.Nested(QuotedCouponsSchema)
    best_coupon = fields.Nested(QuotedCouponSchema, allow_none=True)
    promotions = fields.List(fields.Nested(QuotedPromotionSchema))
    next_tier = fields.Nested(NextTierSchema, allow_none=True)
    points = fields.Nested(QuotedPointsSchema)
    member_level = fields.String(allow_none=True)
