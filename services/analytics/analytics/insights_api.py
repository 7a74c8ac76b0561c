"""HTTP routes of the insights reports (admin only): parse, call one use case, serialize."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from analytics import engine, profiles, promotions, retention
from analytics.insights_schemas import (
    PromotionsQuerySchema,
    PromotionsReportSchema,
    RetentionQuerySchema,
    RetentionReportSchema,
    UserProfileSchema,
)
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN
from service_runtime.ids import utcnow
from service_runtime.openapi import SecuredBlueprint

insights = SecuredBlueprint("analytics_insights", __name__,
                            url_prefix="/api/v1/admin/analytics",
                            description="Retention, promotions and user profiles (admin)",
                            role=ADMIN)


@insights.route("/retention")
class Retention(MethodView):
    @insights.arguments(RetentionQuerySchema, location="query")
    @insights.response(200, RetentionReportSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Weekly cohorts (by first order) and the share of each active in the weeks after."""
        if current_settings().duckdb():
            return engine.retention(current_settings().warehouse(), query["start"],
                                    query["end"], query["weeks"])
        return retention.retention(current_db(), query["start"], query["end"], query["weeks"])


@insights.route("/promotions")
class Promotions(MethodView):
    @insights.arguments(PromotionsQuerySchema, location="query")
    @insights.response(200, PromotionsReportSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Per promotion and coupon: orders, paid orders, discount given and GMV."""
        return promotions.report(current_db(), query["start"], query["end"], query["currency"],
                                 query["limit"])


@insights.route("/users/<string:user_id>")
class UserProfile(MethodView):
    @insights.response(200, UserProfileSchema)
    @insights.alt_response(404, description="No order of this user was heard of")
    def get(self, user_id: str) -> dict[str, Any]:
        """The user's profile tags: RFM segment, preferred categories, price band, churn."""
        return profiles.profile(current_db(), user_id, utcnow())
