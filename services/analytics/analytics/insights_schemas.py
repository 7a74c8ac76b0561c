"""What the insights reports take and answer (retention, promotions, user profiles)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from analytics.profile_rules import ChurnRisk, PriceBand, Segment
from analytics.retention import MAX_WEEKS_AFTER, CohortPeriod
from analytics.schemas import SalesQuerySchema
from service_runtime.bounds import QueryInteger
from service_runtime.ids import utcnow

DEFAULT_COHORTS = 12


class RetentionQuerySchema(Schema):
    cohort = fields.String(load_default=CohortPeriod.WEEK.value,
                           validate=validate.OneOf([p.value for p in CohortPeriod]))
    start = fields.Date(load_default=None, data_key="from", metadata={
        "description": "the first cohort: the week starting on or after this day "
                       f"(default: {DEFAULT_COHORTS} weeks before 'to')"})
    end = fields.Date(load_default=None, data_key="to", metadata={
        "description": "the last cohort: the week holding this day (default: today, UTC)"})
    weeks = QueryInteger(minimum=0, maximum=MAX_WEEKS_AFTER, load_default=8, metadata={
        "description": "weeks after the cohort's own to report"})

    @post_load
    def defaults(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if data["end"] is None:
            data["end"] = utcnow().date()
        if data["start"] is None:
            data["start"] = data["end"] - timedelta(weeks=DEFAULT_COHORTS)
        return data


class CohortSchema(Schema):
    week_start = fields.Date(metadata={"description": "the cohort's Monday (UTC)"})
    users = fields.Integer(metadata={"description": "users whose first order was that week"})
    active = fields.List(fields.Integer(), metadata={
        "description": "active users in week +0, +1, ... (ordered, or tracked signed in)"})
    retention = fields.List(fields.Float(), metadata={"description": "active / users"})


class RetentionReportSchema(Schema):
    cohort = fields.String()
    weeks = fields.Integer()
    cohorts = fields.List(fields.Nested(CohortSchema))


class PromotionsQuerySchema(SalesQuerySchema):
    """The sales report's window, currency and limit (``group_by`` is not used)."""

    class Meta:
        exclude = ("group_by",)


class PromotionRowSchema(Schema):
    kind = fields.String(metadata={"description": "the adjustment's kind: full_reduction, "
                                                  "coupon, member_price, ..."})
    source_id = fields.String(metadata={"description": "the promotion, coupon template or "
                                                       "campaign"})
    label = fields.String()
    orders = fields.Integer()
    paid_orders = fields.Integer()
    discount = fields.Integer(metadata={"description": "discount given, minor units"})
    gmv = fields.Integer(metadata={"description": "what those orders were to pay"})


class PromotionsReportSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    currency = fields.String()
    rows = fields.List(fields.Nested(PromotionRowSchema))


class RfmSchema(Schema):
    recency = fields.Integer(validate=validate.Range(1, 3))
    frequency = fields.Integer(validate=validate.Range(1, 3))
    monetary = fields.Integer(validate=validate.Range(1, 3))


class PreferredCategorySchema(Schema):
    category_id = fields.Integer()
    units = fields.Integer()


class UserProfileSchema(Schema):
    user_id = fields.String()
    orders = fields.Integer(metadata={"description": "placed and not cancelled"})
    spent = fields.Integer(metadata={"description": "what they cost, minor units"})
    currency = fields.String()
    units = fields.Integer()
    first_order_at = fields.AwareDateTime(allow_none=True)
    last_order_at = fields.AwareDateTime(allow_none=True)
    preferred_categories = fields.List(fields.Nested(PreferredCategorySchema))
    segment = fields.String(validate=validate.OneOf([s.value for s in Segment]))
    rfm = fields.Nested(RfmSchema, allow_none=True)
    recency_days = fields.Integer(allow_none=True)
    price_band = fields.String(allow_none=True,
                               validate=validate.OneOf([b.value for b in PriceBand]))
    churn_risk = fields.String(allow_none=True,
                               validate=validate.OneOf([c.value for c in ChurnRisk]))
    imported_tags = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "tags the big-data platform sent back (POST /admin/analytics/"
                       "profile-tags), as its last file said"})
