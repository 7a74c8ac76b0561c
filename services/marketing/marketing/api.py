"""HTTP routes of the marketing service: parse, call one use case, serialize.

Public: running promotions and claimable coupons. Signed in: claiming, redeeming, the
caller's coupons. Admin (``/api/v1/admin``): templates, promotions, issuing, statistics.
Internal (not routed by the gateway): the pricing quote.
"""

from flask import current_app
from flask.views import MethodView

from event_contracts.pricing import QuoteRequestSchema, QuoteSchema
from marketing import issuing, promotions, quote, stats, templates
from marketing.schemas import (
    AdminCouponTemplatePageSchema,
    AdminCouponTemplateSchema,
    AdminPromotionPageSchema,
    AdminPromotionSchema,
    CouponTemplatePageSchema,
    CouponTemplatePatchSchema,
    IssueResultSchema,
    IssueSchema,
    MyCouponsQuerySchema,
    NewCouponTemplateSchema,
    NewPromotionSchema,
    PromotionListSchema,
    PromotionPatchSchema,
    RedeemSchema,
    StatsSchema,
    StatusQuerySchema,
    UserCouponPageSchema,
    UserCouponSchema,
)
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN, bearer_token, current_user_id
from service_runtime.blueprint import Blueprint
from service_runtime.openapi import SecuredBlueprint, signed_in, token_optional
from service_runtime.paging import PageQuerySchema

blp = Blueprint("marketing", __name__, url_prefix="/api/v1",
                description="Promotions, coupons to claim and the caller's coupons")
admin = SecuredBlueprint("marketing-admin", __name__, url_prefix="/api/v1/admin", role=ADMIN,
                         description="Coupon templates, promotions, issuing, statistics")
internal = Blueprint("marketing-internal", __name__, url_prefix="/internal",
                     description="For the cart and order services (not routed by the gateway)")

ID_PATH = "<string(maxlength=40):{}>"


# -- public and signed in -----------------------------------------------------------------


@blp.route("/promotions")
class RunningPromotions(MethodView):
    @blp.response(200, PromotionListSchema)
    def get(self):  # type: ignore[no-untyped-def]
        """Promotions running now."""
        return {"items": promotions.running_promotions(current_db())}


@blp.route("/coupons")
class ClaimableCoupons(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CouponTemplatePageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        """Coupons claimable now, with how many are left."""
        return templates.list_claimable(current_db(), query["limit"], query["cursor"])


@blp.route("/coupons/" + ID_PATH.format("template_id") + "/claim")
class ClaimCoupon(MethodView):
    @signed_in
    @blp.response(201, UserCouponSchema)
    def post(self, template_id):  # type: ignore[no-untyped-def]
        return issuing.claim(current_db(), template_id, current_user_id())


@blp.route("/coupons/redeem")
class RedeemCoupon(MethodView):
    @signed_in
    @blp.arguments(RedeemSchema)
    @blp.response(201, UserCouponSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return issuing.redeem(current_db(), body["code"], current_user_id())


@blp.route("/users/me/coupons")
class MyCoupons(MethodView):
    @signed_in
    @blp.arguments(MyCouponsQuerySchema, location="query")
    @blp.response(200, UserCouponPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return issuing.my_coupons(current_db(), current_user_id(), query["status"],
                                  query["limit"], query["cursor"])


# -- admin ---------------------------------------------------------------------------------


@admin.route("/coupons")
class AdminCoupons(MethodView):
    @admin.arguments(NewCouponTemplateSchema)
    @admin.response(201, AdminCouponTemplateSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return templates.create_template(current_db(), body)

    @admin.arguments(StatusQuerySchema, location="query")
    @admin.response(200, AdminCouponTemplatePageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return templates.list_templates(current_db(), query["limit"], query["cursor"],
                                        query["status"])


@admin.route("/coupons/" + ID_PATH.format("template_id"))
class AdminCouponById(MethodView):
    @admin.arguments(CouponTemplatePatchSchema)
    @admin.response(200, AdminCouponTemplateSchema)
    def patch(self, body, template_id):  # type: ignore[no-untyped-def]
        return templates.update_template(current_db(), template_id, body)


@admin.route("/coupons/" + ID_PATH.format("template_id") + "/issue")
class AdminIssue(MethodView):
    @admin.arguments(IssueSchema)
    @admin.response(200, IssueResultSchema)
    def post(self, body, template_id):  # type: ignore[no-untyped-def]
        return issuing.issue_to_users(current_db(), template_id, body["user_ids"])


@admin.route("/promotions")
class AdminPromotions(MethodView):
    @admin.arguments(NewPromotionSchema)
    @admin.response(201, AdminPromotionSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return promotions.create_promotion(current_db(), body)

    @admin.arguments(StatusQuerySchema, location="query")
    @admin.response(200, AdminPromotionPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return promotions.list_promotions(current_db(), query["limit"], query["cursor"],
                                          query["status"])


@admin.route("/promotions/" + ID_PATH.format("promotion_id"))
class AdminPromotionById(MethodView):
    @admin.arguments(PromotionPatchSchema)
    @admin.response(200, AdminPromotionSchema)
    def patch(self, body, promotion_id):  # type: ignore[no-untyped-def]
        return promotions.update_promotion(current_db(), promotion_id, body)


@admin.route("/marketing/stats")
class AdminStats(MethodView):
    @admin.response(200, StatsSchema)
    def get(self):  # type: ignore[no-untyped-def]
        return stats.marketing_stats(current_db())


# -- internal ------------------------------------------------------------------------------


@internal.route("/pricing/quote")
class PricingQuote(MethodView):
    @token_optional
    @internal.arguments(QuoteRequestSchema)
    @internal.response(200, QuoteSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        """The breakdown for the buyer whose token the caller forwards (none: a guest).
        A chosen coupon that cannot be used is a 422 ``coupon-not-usable`` with the reason;
        more points than the balance a 422 ``not-enough-points``."""
        user_id = current_user_id() if bearer_token() is not None else None
        answer = quote.quote(current_db(), user_id, body,
                             current_settings().points_max_share_percent)
        # Built as the schema documents it (a test holds them equal); sent without a second
        # pass through marshmallow, which would cost the cart's every read as much again.
        return current_app.json.response(answer)
