"""The marketing service's pricing quote, ``POST /internal/pricing/quote`` (MARKETING.md,
"The quote"): its request and its answer, in one place for the three services that speak
it. Marketing validates the request and documents the answer with these; the order relays
the answer as ``POST /checkout/preview``'s and the cart as ``GET /cart``'s ``pricing``.

Answer parts (:class:`Answer`) load tolerantly (a field a newer marketing adds is left out,
so a relay dumps no more than these fields) and are documented as holding no other field.
Marketing's coupon shapes (a user coupon and its template, as ``GET /users/me/coupons``
shows them) live here because the quote nests them. Marshmallow only: no Flask.
"""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from event_contracts.money import INT32_MAX, MoneySchema
from event_contracts.vocabulary import AdjustmentKind, CampaignKind, DeliveryMethod

MAX_LINES = 100
SCOPE_KINDS = ("all", "categories", "brands", "products")
ADJUSTMENT_KINDS = [kind.value for kind in AdjustmentKind]


class Answer(Schema):
    class Meta:
        unknown = EXCLUDE
        json_schema = {"additionalProperties": False}


def money(description: str | None = None, **kwargs: object) -> fields.Nested:
    """An amount the answer always holds."""
    metadata = {"description": description} if description else {}
    return fields.Nested(MoneySchema, required=True, metadata=metadata, **kwargs)


def count(**kwargs: object) -> fields.Integer:
    return fields.Integer(required=True, strict=True, **kwargs)


# -- the request -----------------------------------------------------------------------


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


class QuoteCampaignSchema(Schema):
    """Price the lines at a campaign's price (a group-buy campaign, a flash session):
    marketing looks the price up itself; no promotion, coupon or points apply."""

    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in CampaignKind]))
    campaign_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    # group_buy: the group to join (none: the order starts a new group).
    group_id = fields.String(allow_none=True, load_default=None,
                             validate=validate.Length(min=1, max=64))


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
    campaign = fields.Nested(QuoteCampaignSchema, allow_none=True, load_default=None)

    class Meta:
        json_schema = {"not": {"required": ["user_coupon_id", "coupon_code"]}}

    @validates_schema
    def one_coupon(self, data: dict, **_kwargs: object) -> None:
        if data.get("user_coupon_id") and data.get("coupon_code"):
            raise ValidationError("give user_coupon_id or coupon_code, not both",
                                  "coupon_code")

    @validates_schema
    def campaign_alone(self, data: dict, **_kwargs: object) -> None:
        if data.get("campaign") and (data.get("user_coupon_id") or data.get("coupon_code")
                                     or data.get("points")):
            raise ValidationError("a campaign's price takes no coupon and no points",
                                  "campaign")


# -- coupons as marketing shows them (GET /users/me/coupons, the quote) -------------------


class ScopeSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SCOPE_KINDS))
    ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=INT32_MAX)),
                      validate=validate.Length(max=200),
                      metadata={"description": "category ids (a subtree counts) or product ids"})
    names = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                        validate=validate.Length(max=100), metadata={"description": "brands"})


class CouponTemplateSchema(Answer):
    id = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String()
    amount_off = fields.Nested(MoneySchema, allow_none=True)
    percent_off = fields.Integer(allow_none=True)
    max_discount = fields.Nested(MoneySchema, allow_none=True)
    min_spend = fields.Nested(MoneySchema)
    scope = fields.Nested(ScopeSchema)
    valid_from = fields.AwareDateTime(allow_none=True)
    valid_until = fields.AwareDateTime(allow_none=True)
    valid_days = fields.Integer(allow_none=True)
    total_quantity = fields.Integer()
    issued = fields.Integer()
    remaining = fields.Integer()
    per_user_limit = fields.Integer()
    member_levels = fields.List(fields.String(), allow_none=True)
    claimable = fields.Boolean()
    exclusion_group = fields.String(allow_none=True)
    priority = fields.Integer()
    stacks_with_promotions = fields.Boolean()
    status = fields.String()


class UserCouponSchema(Answer):
    id = fields.String()
    template_id = fields.String()
    status = fields.String(metadata={"description": "available | locked | used | expired"})
    valid_from = fields.AwareDateTime()
    valid_until = fields.AwareDateTime(allow_none=True)
    order_id = fields.String(allow_none=True, metadata={"description": "while locked or used"})
    issued_at = fields.AwareDateTime()
    source = fields.String(metadata={"description": "claim | redeem | admin | auto"})
    template = fields.Nested(CouponTemplateSchema)


class UsableCouponSchema(UserCouponSchema):
    discount = money("What it takes off this quote")


class UnusableCouponSchema(UserCouponSchema):
    reason = fields.String(required=True, metadata={
        "description": "not_found, not_valid_yet, expired, out_of_scope, "
                       "min_spend_not_reached, excluded_by_other_offer"})
    reason_detail = fields.String()
    missing = fields.Nested(MoneySchema, allow_none=True)


class QuoteCouponsSchema(Answer):
    usable = fields.List(fields.Nested(UsableCouponSchema), required=True)
    unusable = fields.List(fields.Nested(UnusableCouponSchema), required=True)


# -- the answer --------------------------------------------------------------------------


class AllocationSchema(Answer):
    kind = fields.String(required=True, metadata={"enum": ADJUSTMENT_KINDS})
    source_id = fields.String(required=True, allow_none=True)
    amount = money()


class AdjustmentSchema(Answer):
    kind = fields.String(required=True, metadata={"enum": ADJUSTMENT_KINDS})
    source_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the promotion or coupon template; null for points and shipping"})
    label = fields.String(required=True)
    amount = money("a discount, or the shipping charged; always positive")


class QuoteLineSchema(Answer):
    sku = fields.String(required=True)
    quantity = count()
    unit_price = money()
    subtotal = money()
    payable = money("after its share of every discount and points, with its share of "
                    "shipping; a refund of the whole line gives back exactly this")
    points = count()
    allocations = fields.List(fields.Nested(AllocationSchema), required=True)


class QuotePromotionSchema(Answer):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    applied = fields.Boolean(required=True)
    discount = money()


class NextTierSchema(Answer):
    promotion_id = fields.String(required=True)
    threshold = money()
    off = money()
    missing = money("what is still needed to reach the tier")
    hint = fields.String(required=True, metadata={"example": "再买 ¥23.00 可减 ¥40.00"})


class PointsSchema(Answer):
    balance = count()
    requested = count()
    used = count()
    max_usable = count()


class QuoteSchema(Answer):
    currency = fields.String(required=True)
    subtotal = money("unit price x quantity, summed")
    discount_total = money("every discount together")
    shipping = money("after member and coupon perks")
    points_used = count()
    points_value = money()
    payable = money("subtotal - discount_total - points_value + shipping")
    adjustments = fields.List(fields.Nested(AdjustmentSchema), required=True)
    lines = fields.List(fields.Nested(QuoteLineSchema), required=True)
    applied_coupon = fields.Nested(UserCouponSchema, required=True, allow_none=True)
    coupons = fields.Nested(QuoteCouponsSchema, required=True)
    best_coupon = fields.Nested(UsableCouponSchema, required=True, allow_none=True, metadata={
        "description": "the usable coupon that saves most"})
    promotions = fields.List(fields.Nested(QuotePromotionSchema), required=True, metadata={
        "description": "the running promotions the lines meet or may meet"})
    next_tier = fields.Nested(NextTierSchema, required=True, allow_none=True, metadata={
        "description": "the next full-reduction tier and what is missing to reach it"})
    points = fields.Nested(PointsSchema, required=True, metadata={
        "description": "the buyer's balance and how many points these lines could use"})
    member_level = fields.String(required=True, allow_none=True)
