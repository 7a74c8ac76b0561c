"""``create_app()`` builds the gateway: every ``/api/v1`` path goes to its service.

Before forwarding, the gateway verifies a bearer token if the request carries one
(the services verify it again: nothing downstream trusts the gateway's word), limits
the rate of the sign-in routes per client address, and answers CORS for browsers.
Anonymous reads of the public catalog are kept for a second (``api_gateway.cache``), a
flash item's sold-out answer for half a second (``api_gateway.flash_memo``).
"""

from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, Response, g, jsonify, request
from flask_cors import CORS
from requests import Session

from api_gateway.cache import ShortCache, respond
from api_gateway.flash_memo import SoldOutMemo
from api_gateway.openapi import merged_document
from api_gateway.product_page import PAGE_PATH, document_product_page, product_page
from api_gateway.proxy import forward
from api_gateway.route_metrics import (
    NO_SERVICE,
    OTHER_ROUTE,
    PAGES_ROUTE,
    PAGES_SERVICE,
    RouteTemplates,
    count_failures_from_zero,
    record,
)
from api_gateway.routes import Upstreams, service_for
from api_gateway.settings import GatewaySettings
from service_runtime import tracing
from service_runtime.app import create_app as create_service_app
from service_runtime.auth import bearer_token, verifier
from service_runtime.clients import client_address
from service_runtime.errors import NotFound
from service_runtime.http_client import pooled_session
from service_runtime.rate_limits import RateLimit

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
# Guessing passwords and sending codes are what attackers automate.
RATE_LIMITED = {"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh",
                "/api/v1/auth/verification-codes"}
# The gateway's own ops endpoints: the runtime's http_requests_total counts them.
OPS_PATHS = {"/healthz", "/readyz", "/metrics"}


def create_app(config: dict | None = None, upstreams: Upstreams | None = None,
               settings: GatewaySettings | None = None) -> Flask:
    settings = settings or GatewaySettings.from_env()
    # The gateway serves the services' merged document instead of one of its own.
    app = create_service_app("gateway", config=config, openapi=False, settings=settings)
    routes = upstreams or settings.upstreams
    session = pooled_session(settings.pool_size)
    timeouts = settings.timeouts
    cache = ShortCache(settings.cache_ttl_ms / 1000, settings.cache_entries,
                       wait_s=timeouts[1])
    sold_out = SoldOutMemo(settings.flash_sold_out_memo_ms / 1000)
    CORS(app, resources={r"/api/*": {"origins": list(settings.cors_origins)}},
         expose_headers=["X-Request-ID", "X-Correlation-ID", "X-Cart-Token"], max_age=600)
    # One count per client over all the sign-in routes together.
    auth_limit = RateLimit(
        settings.auth_rate_limit, "auth", settings.rate_limit_storage_uri,
        client_address([ipaddress.ip_network(n) for n in settings.trusted_proxies]))

    def to_service() -> Response:
        service = service_for(request.path)
        if service is None:
            raise NotFound(f"no API at {request.path}")
        known = sold_out.answer(request)  # a flash item just found sold out: no hop
        if known is not None:
            return known
        if bearer_token() is not None:
            verifier().verify(bearer_token())  # a bad token stops here, with a 401
        return sold_out.learn(request, respond(
            cache, request, lambda: forward(session, service, routes.urls[service], timeouts)))

    @app.route("/api/v1/<path:_path>", methods=METHODS)
    def proxy(_path: str) -> Response:
        return to_service()

    # Their own routes, so that only signing in pays for counting requests.
    for path in sorted(RATE_LIMITED):
        app.add_url_rule(path, f"sign-in:{path}", auth_limit.guard(to_service),
                         methods=METHODS)

    pool = ThreadPoolExecutor(max_workers=settings.aggregation_threads)

    @app.get("/api/v1/products/<string:product_id>")
    def product(product_id: str) -> Response:
        if bearer_token() is not None:
            verifier().verify(bearer_token())  # as on every other route: a bad token is a 401
        return respond(cache, request, lambda: product_page(
            session, routes.urls, pool, cache, product_id, timeouts))

    # Everything that is not the API is a page for people: the storefront and the admin
    # console, served by the web process (itself a client of the API above).
    @app.route("/", defaults={"_path": ""}, methods=METHODS)
    @app.route("/<path:_path>", methods=METHODS)
    def pages(_path: str) -> Response:
        return forward(session, "web", settings.web_url, timeouts)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(document_product_page(merged_document(session, routes.urls, timeouts[1])))

    count_by_route(app, RouteTemplates(), session, routes, timeouts[1])
    return app


def count_by_route(app: Flask, templates: RouteTemplates, session: Session, routes: Upstreams,
                   timeout: float) -> None:
    """Count every answer under its upstream service and route template
    (``api_gateway.route_metrics``); the templates are the services' documented paths."""
    app.extensions["route_templates"] = templates

    def load() -> tuple[list[str], bool]:
        document = merged_document(session, routes.urls, timeout)
        return [*document["paths"], PAGE_PATH], not document.get("x-unavailable-services")

    @app.before_request
    def start_loading() -> None:
        if templates.load is None:
            count_failures_from_zero([*routes.urls, PAGES_SERVICE])
        templates.keep_loaded(load)

    @app.after_request
    def count(response: Response) -> Response:
        path = request.path
        if path in OPS_PATHS:
            return response
        if path.startswith("/api/"):
            service = service_for(path) or NO_SERVICE
            route = templates.route(path) if service != NO_SERVICE else OTHER_ROUTE
        elif path == "/openapi.json":
            service, route = "gateway", path
        else:
            service, route = PAGES_SERVICE, PAGES_ROUTE
        started = g.get("started")
        if route != OTHER_ROUTE:  # else the span keeps the gateway's own route
            tracing.name_route(g.get("trace"), request.method, route)
        record(service, request.method, route, response.status_code,
               time.perf_counter() - started if started is not None else 0.0)
        return response

