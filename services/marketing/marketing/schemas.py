"""What the marketing API takes and answers (its OpenAPI document is made from these)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from event_contracts.membership import LEVEL_VALUES
from event_contracts.pricing import CouponTemplateSchema, ScopeSchema, UserCouponSchema
from event_contracts.vocabulary import CouponKind, PromotionKind
from marketing.domain import AUTO_ISSUE, MAX_ISSUE_USERS, MAX_NAME, MAX_TIERS
from service_runtime.money import MoneySchema
from service_runtime.paging import PageQuerySchema

STATUSES = ("active", "paused")
COUPON_STATUSES = ("available", "locked", "used", "expired")
GROUP = validate.Length(min=1, max=40)
PERCENT = validate.Range(min=1, max=99)


# -- coupon templates ------------------------------------------------------------------


class CouponTemplatePatchSchema(Schema):
    """Every field optional: the PATCH body. The create body requires some of them."""

    name = fields.String(validate=validate.Length(min=1, max=MAX_NAME))
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    kind = fields.String(validate=validate.OneOf([k.value for k in CouponKind]))
    amount_off = fields.Nested(MoneySchema, allow_none=True)
    percent_off = fields.Integer(strict=True, allow_none=True, validate=PERCENT,
                                 metadata={"description": "what the buyer pays: 90 = 9折"})
    max_discount = fields.Nested(MoneySchema, allow_none=True)
    min_spend = fields.Nested(MoneySchema, allow_none=True)
    scope = fields.Nested(ScopeSchema)
    valid_from = fields.AwareDateTime(allow_none=True)
    valid_until = fields.AwareDateTime(allow_none=True)
    valid_days = fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=1, max=3650),
                                metadata={"description": "valid for N days after issuing"})
    total_quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000_000))
    per_user_limit = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    member_levels = fields.List(fields.String(validate=validate.OneOf(LEVEL_VALUES)),
                                allow_none=True, validate=validate.Length(min=1, max=4))
    claimable = fields.Boolean()
    redeem_code = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[A-Za-z0-9-]{4,40}$", error="4-40 letters, digits or dashes"))
    auto_issue = fields.String(validate=validate.OneOf(AUTO_ISSUE))
    exclusion_group = fields.String(allow_none=True, validate=GROUP)
    priority = fields.Integer(strict=True, validate=validate.Range(min=-1000, max=1000))
    stacks_with_promotions = fields.Boolean()
    status = fields.String(validate=validate.OneOf(STATUSES))


class NewCouponTemplateSchema(CouponTemplatePatchSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in CouponKind]))
    scope = fields.Nested(ScopeSchema, load_default=lambda: {"kind": "all"})
    total_quantity = fields.Integer(required=True, strict=True,
                                    validate=validate.Range(min=1, max=10_000_000))


class AdminCouponTemplateSchema(CouponTemplateSchema):
    redeem_code = fields.String(allow_none=True)
    auto_issue = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class CouponTemplatePageSchema(Schema):
    items = fields.List(fields.Nested(CouponTemplateSchema))
    next_cursor = fields.String(allow_none=True)


class AdminCouponTemplatePageSchema(Schema):
    items = fields.List(fields.Nested(AdminCouponTemplateSchema))
    next_cursor = fields.String(allow_none=True)


class StatusQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


# -- user coupons ----------------------------------------------------------------------


class RedeemSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class IssueSchema(Schema):
    user_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                           required=True, validate=validate.Length(min=1, max=MAX_ISSUE_USERS))


class IssuedSchema(Schema):
    user_id = fields.String()
    user_coupon_id = fields.String()


class IssueRefusedSchema(Schema):
    user_id = fields.String()
    reason = fields.String(metadata={"description": "coupon-sold-out, coupon-limit-reached, "
                                                    "coupon-not-claimable"})


class IssueResultSchema(Schema):
    issued = fields.List(fields.Nested(IssuedSchema))
    refused = fields.List(fields.Nested(IssueRefusedSchema))


class UserCouponPageSchema(Schema):
    items = fields.List(fields.Nested(UserCouponSchema))
    next_cursor = fields.String(allow_none=True)


class MyCouponsQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(COUPON_STATUSES))


# -- promotions --------------------------------------------------------------------------


class TierSchema(Schema):
    threshold = fields.Nested(MoneySchema, required=True)
    off = fields.Nested(MoneySchema, required=True)


class PromotionPatchSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=MAX_NAME))
    kind = fields.String(validate=validate.OneOf([k.value for k in PromotionKind]))
    scope = fields.Nested(ScopeSchema)
    tiers = fields.List(fields.Nested(TierSchema), allow_none=True,
                        validate=validate.Length(min=1, max=MAX_TIERS))
    percent = fields.Integer(strict=True, allow_none=True, validate=PERCENT,
                             metadata={"description": "timed discount: pay this percent"})
    member_percents = fields.Dict(keys=fields.String(validate=validate.OneOf(LEVEL_VALUES)),
                                  values=fields.Integer(strict=True, validate=PERCENT),
                                  allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    exclusion_group = fields.String(allow_none=True, validate=GROUP)
    priority = fields.Integer(strict=True, validate=validate.Range(min=-1000, max=1000))
    status = fields.String(validate=validate.OneOf(STATUSES))


class NewPromotionSchema(PromotionPatchSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    kind = fields.String(required=True,
                         validate=validate.OneOf([k.value for k in PromotionKind]))
    scope = fields.Nested(ScopeSchema, load_default=lambda: {"kind": "all"})
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)

    @validates_schema
    def window(self, data: dict, **_kwargs: object) -> None:
        if data["starts_at"] >= data["ends_at"]:
            raise ValidationError("starts_at must be before ends_at", "ends_at")


class PromotionSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    scope = fields.Nested(ScopeSchema)
    tiers = fields.List(fields.Nested(TierSchema), allow_none=True)
    percent = fields.Integer(allow_none=True)
    member_percents = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                  allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    exclusion_group = fields.String(allow_none=True)
    priority = fields.Integer()
    status = fields.String()


class AdminPromotionSchema(PromotionSchema):
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class PromotionListSchema(Schema):
    items = fields.List(fields.Nested(PromotionSchema))


class AdminPromotionPageSchema(Schema):
    items = fields.List(fields.Nested(AdminPromotionSchema))
    next_cursor = fields.String(allow_none=True)


# -- statistics --------------------------------------------------------------------------


class _Figures(Schema):
    name = fields.String()
    kind = fields.String()
    status = fields.String()
    discount = fields.Nested(MoneySchema, metadata={"description": "given on paid orders"})
    orders = fields.Integer(metadata={"description": "paid orders it applied to"})
    gmv = fields.Nested(MoneySchema, metadata={"description": "what those orders paid"})


class CouponStatsSchema(_Figures):
    template_id = fields.String()
    issued = fields.Integer()
    used = fields.Integer()


class PromotionStatsSchema(_Figures):
    promotion_id = fields.String()


class StatsSchema(Schema):
    coupons = fields.List(fields.Nested(CouponStatsSchema))
    promotions = fields.List(fields.Nested(PromotionStatsSchema))
