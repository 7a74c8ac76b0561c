"""``create_app()`` builds the cart API; nothing connects until a request arrives.

A skeleton so far: only the ops endpoints (``/healthz``, ``/readyz``, ``/metrics``)
and the OpenAPI document; the routes arrive with the service's blueprints.
"""

from flask import Flask

from service_runtime.app import broker_check
from service_runtime.app import create_app as create_service_app
from service_runtime.config import KafkaSettings, database_url
from service_runtime.db import Database


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_app(
        "cart",
        db=Database(database or database_url("cart")),
        # Nothing is published from a request: a missing broker is reported, not fatal.
        readiness=[broker_check(KafkaSettings.from_env(), required=False)],
        config=config,
        title="Cart service",
    )
