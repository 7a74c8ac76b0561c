"""The admin's risk flags: parse, call one use case, serialize."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from analytics import risk_flags
from analytics.risk_models import RiskFlag
from analytics.risk_schemas import (
    ResolveSchema,
    RiskFlagPageSchema,
    RiskFlagQuerySchema,
    RiskFlagSchema,
)
from event_contracts.vocabulary import RiskRule
from service_runtime.app import current_db
from service_runtime.auth import ADMIN, current_user_id
from service_runtime.openapi import SecuredBlueprint
from service_runtime.paging import Page

risk = SecuredBlueprint("analytics_risk", __name__, url_prefix="/api/v1/admin/risk",
                        description="Risk flags raised by the rules over the events (admin)",
                        role=ADMIN)


@risk.route("/flags")
class Flags(MethodView):
    @risk.arguments(RiskFlagQuerySchema, location="query")
    @risk.response(200, RiskFlagPageSchema)
    def get(self, query: dict[str, Any]) -> Page[RiskFlag]:
        """Raised flags, newest first: repeated payment failures, sign-in attacks, refund
        abuse, order bursts, each with its evidence."""
        rule = RiskRule(query["rule"]) if query["rule"] else None
        return risk_flags.list_flags(current_db(), query["limit"], query["cursor"], rule=rule,
                                     user_id=query["user_id"], resolved=query["resolved"])


@risk.route("/flags/<string:flag_id>/resolve")
class ResolveFlag(MethodView):
    @risk.arguments(ResolveSchema)
    @risk.response(200, RiskFlagSchema)
    @risk.alt_response(404, description="No such flag")
    @risk.alt_response(409, description="The flag is resolved already")
    def post(self, body: dict[str, Any], flag_id: str) -> RiskFlag:
        """Mark a flag looked into (by the calling admin, with an optional note)."""
        return risk_flags.resolve_flag(current_db(), flag_id, current_user_id(), body["note"])
