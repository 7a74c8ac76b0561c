"""The quote's request and answer (MARKETING.md, "The quote")."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from event_contracts.vocabulary import DeliveryMethod
from marketing.schemas import UserCouponSchema
from service_runtime.bounds import INT32_MAX
from service_runtime.money import MoneySchema

MAX_LINES = 100


class CnySchema(MoneySchema):
    currency = fields.String(required=True, validate=validate.OneOf(["CNY"]),
                             metadata={"example": "CNY"})


class QuoteLineInSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    product_id = fields.Integer(strict=True, allow_none=True, load_default=None,
                                validate=validate.Range(min=1, max=INT32_MAX))
    quantity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=9999))
    unit_price = fields.Nested(CnySchema, required=True)


class QuoteRequestSchema(Schema):
    lines = fields.List(fields.Nested(QuoteLineInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))
    delivery_method = fields.String(allow_none=True, load_default=None,
                                    validate=validate.OneOf([m.value for m in DeliveryMethod]))
    user_coupon_id = fields.String(allow_none=True, load_default=None,
                                   validate=validate.Length(min=1, max=64))
    coupon_code = fields.String(allow_none=True, load_default=None,
                                validate=validate.Length(min=1, max=64),
                                metadata={"description": "a redeem code the buyer holds"})
    points = fields.Integer(strict=True, load_default=0,
                            validate=validate.Range(min=0, max=INT32_MAX))
    suggest_coupon = fields.Boolean(load_default=False, metadata={
        "description": "apply the best usable coupon when none is chosen"})

    class Meta:
        json_schema = {"not": {"required": ["user_coupon_id", "coupon_code"]}}

    @validates_schema
    def one_coupon(self, data: dict, **_kwargs: object) -> None:
        if data.get("user_coupon_id") and data.get("coupon_code"):
            raise ValidationError("give user_coupon_id or coupon_code, not both",
                                  "coupon_code")


class AllocationSchema(Schema):
    kind = fields.String()
    source_id = fields.String(allow_none=True)
    amount = fields.Nested(MoneySchema)


class AdjustmentSchema(Schema):
    kind = fields.String(metadata={"description": "member_price | timed_discount | "
                                                  "full_reduction | coupon | points | shipping"})
    source_id = fields.String(allow_none=True, metadata={
        "description": "the promotion or coupon template; null for points and shipping"})
    label = fields.String()
    amount = fields.Nested(MoneySchema, metadata={"description": "always positive"})


class QuoteLineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Nested(MoneySchema)
    subtotal = fields.Nested(MoneySchema)
    payable = fields.Nested(MoneySchema)
    points = fields.Integer()
    allocations = fields.List(fields.Nested(AllocationSchema))


class UsableCouponSchema(UserCouponSchema):
    discount = fields.Nested(MoneySchema)


class UnusableCouponSchema(UserCouponSchema):
    reason = fields.String(metadata={"description": "not_found, not_valid_yet, expired, "
                                                    "out_of_scope, min_spend_not_reached, "
                                                    "excluded_by_other_offer"})
    reason_detail = fields.String()
    missing = fields.Nested(MoneySchema, allow_none=True)


class QuoteCouponsSchema(Schema):
    usable = fields.List(fields.Nested(UsableCouponSchema))
    unusable = fields.List(fields.Nested(UnusableCouponSchema))


class QuotePromotionSchema(Schema):
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


class PointsSchema(Schema):
    balance = fields.Integer()
    requested = fields.Integer()
    used = fields.Integer()
    max_usable = fields.Integer()


class QuoteSchema(Schema):
    currency = fields.String()
    subtotal = fields.Nested(MoneySchema)
    discount_total = fields.Nested(MoneySchema)
    shipping = fields.Nested(MoneySchema)
    points_used = fields.Integer()
    points_value = fields.Nested(MoneySchema)
    payable = fields.Nested(MoneySchema)
    adjustments = fields.List(fields.Nested(AdjustmentSchema))
    lines = fields.List(fields.Nested(QuoteLineSchema))
    applied_coupon = fields.Nested(UserCouponSchema, allow_none=True)
    coupons = fields.Nested(QuoteCouponsSchema)
    best_coupon = fields.Nested(UsableCouponSchema, allow_none=True)
    promotions = fields.List(fields.Nested(QuotePromotionSchema))
    next_tier = fields.Nested(NextTierSchema, allow_none=True)
    points = fields.Nested(PointsSchema)
    member_level = fields.String(allow_none=True)
