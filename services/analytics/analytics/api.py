"""HTTP routes of the analytics service: parse, call one use case, serialize.

``track`` is public (a token, when sent, names the user); ``admin`` needs the admin role.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from werkzeug.exceptions import RequestEntityTooLarge

from analytics import engine, reports, tracking
from analytics.domain import SalesGrouping
from analytics.schemas import (
    FunnelReportSchema,
    SalesQuerySchema,
    SalesReportSchema,
    TrackBatchSchema,
    TrackResultSchema,
    WindowQuerySchema,
)
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN, bearer_token, current_identity
from service_runtime.blueprint import Blueprint
from service_runtime.ids import utcnow
from service_runtime.openapi import SecuredBlueprint, token_optional

track = Blueprint("track", __name__, url_prefix="/api/v1",
                  description="Behaviour events from shoppers' clients (public, rate limited)")
admin = SecuredBlueprint("analytics_admin", __name__, url_prefix="/api/v1/admin/analytics",
                         description="Sales and funnel reports (admin)", role=ADMIN)


@track.before_request
def bound_body() -> None:
    """A batch is small: a larger body is a 413 before it is parsed. (The runtime's
    bound on every body, ``MAX_BODY_BYTES``, has already stopped a far larger one.)"""
    limit = current_settings().track_max_body_bytes
    if (request.content_length or 0) > limit or len(request.get_data(cache=True)) > limit:
        raise RequestEntityTooLarge(f"a batch is at most {limit} bytes")


@track.route("/track")
class Track(MethodView):
    @token_optional
    @track.arguments(TrackBatchSchema)
    @track.response(202, TrackResultSchema)
    @track.alt_response(413, description="The body is larger than a batch may be")
    @track.alt_response(429, description="Too many batches from this client; see Retry-After")
    def post(self, body: dict[str, Any]) -> tracking.TrackResult:
        """Keep a batch of up to 100 events; each bad one is reported by its index.

        Answers 202 when at least one event is valid (kept now, or kept before: a retry),
        and 422 when none is."""
        user_id = current_identity().user_id if bearer_token() is not None else None
        return tracking.track(current_app.extensions["appender"].append, body["events"],
                              user_id, utcnow())


@admin.route("/sales")
class Sales(MethodView):
    @admin.arguments(SalesQuerySchema, location="query")
    @admin.response(200, SalesReportSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """GMV, orders, paid, refunded and average order value by day, category or product."""
        settings = current_settings()
        if settings.duckdb() and query["group_by"] == SalesGrouping.DAY.value:
            return engine.sales_by_day(settings.warehouse(), query["start"], query["end"],
                                       query["currency"], query["limit"])
        return reports.sales(current_db(), query["start"], query["end"],
                             SalesGrouping(query["group_by"]), query["currency"],
                             query["limit"])


@admin.route("/funnel")
class Funnel(MethodView):
    @admin.arguments(WindowQuerySchema, location="query")
    @admin.response(200, FunnelReportSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Product view -> add to cart -> order -> paid: users per step and conversion."""
        if current_settings().duckdb():
            return engine.funnel(current_settings().warehouse(), query["start"], query["end"])
        return reports.funnel(current_db(), query["start"], query["end"])
