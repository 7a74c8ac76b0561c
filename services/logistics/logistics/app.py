"""``create_app()`` builds the logistics API; nothing connects until a request arrives.

A skeleton so far: only the ops endpoints (``/healthz``, ``/readyz``, ``/metrics``)
and the OpenAPI document; the routes arrive with the service's blueprints.
"""

from flask import Flask

from logistics.definition import DEFINITION
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_api(
        DEFINITION, database=database, config=config, title="Logistics service"
    )
