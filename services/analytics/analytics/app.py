"""``create_app()`` builds the analytics API; nothing connects until a request
arrives."""

from __future__ import annotations

import ipaddress

from flask import Flask

from analytics import tracking
from analytics.api import admin, track
from analytics.appender import Appender
from analytics.definition import DEFINITION
from analytics.exports_api import exports_blp
from analytics.feeds_api import feeds
from analytics.insights_api import insights
from analytics.recs_api import recs
from analytics.risk_api import risk
from analytics.settings import AnalyticsSettings
from service_runtime.app import create_service_api
from service_runtime.clients import client_address
from service_runtime.rate_limits import RateLimit


def create_app(config: dict | None = None, database: str | None = None,
               settings: AnalyticsSettings | None = None) -> Flask:
    app = create_service_api(DEFINITION, blueprints=[track, admin, feeds, risk, recs, insights,
                                         exports_blp],
                             database=database,
                             config=config, title="Analytics service", settings=settings)
    own: AnalyticsSettings = app.extensions["settings"]
    # Concurrent batches share a transaction (group commit); a thread per process.
    app.extensions["appender"] = Appender(tracking.inserter(app.extensions["db"]))
    # One limiter per app (its counts are its own): POST /track per client address.
    limit = RateLimit(own.track_rate_limit, "track", own.rate_limit_storage_uri,
                      client_address([ipaddress.ip_network(n) for n in own.trusted_proxies]))
    limit.guard_blueprint(app, track.name)
    return app
