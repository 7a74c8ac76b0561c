"""``create_app()`` builds the gateway: every ``/api/v1`` path goes to its service."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from api_gateway.openapi import merged_document
from api_gateway.proxy import forward, pooled_session
from api_gateway.routes import Upstreams, service_for
from service_runtime.app import create_app as create_service_app
from service_runtime.config import env_int
from service_runtime.errors import NotFound

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def create_app(config: dict | None = None, upstreams: Upstreams | None = None) -> Flask:
    # The gateway serves the services' merged document instead of one of its own.
    app = create_service_app("gateway", config=config, openapi=False)
    routes = upstreams or Upstreams.from_env()
    session = pooled_session(env_int("GATEWAY_POOL_SIZE", 32))
    timeouts = (env_int("UPSTREAM_CONNECT_TIMEOUT_MS", 2000) / 1000,
                env_int("UPSTREAM_READ_TIMEOUT_MS", 15000) / 1000)

    @app.route("/api/v1/<path:_path>", methods=METHODS)
    def proxy(_path: str) -> Response:
        service = service_for(request.path)
        if service is None:
            raise NotFound(f"no API at {request.path}")
        return forward(session, service, routes.urls[service], timeouts)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(merged_document(session, routes.urls, timeouts[1]))

    return app
