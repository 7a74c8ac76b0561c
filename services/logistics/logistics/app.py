"""``create_app()`` builds the logistics API; nothing connects until a request arrives.

Carrier secrets (``CARRIER_SECRETS``) and the callback age limit
(``CARRIER_CALLBACK_MAX_AGE_S``) are read here once; tests may pass their own in
``config``.
"""

from flask import Flask

from logistics import carriers
from logistics.api import admin, blp, callbacks
from logistics.definition import DEFINITION
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    settings = {
        "CARRIER_SECRETS": carriers.secrets_from_env(),
        "CARRIER_CALLBACK_MAX_AGE_S": carriers.max_age_from_env(),
        **(config or {}),
    }
    return create_service_api(DEFINITION, blueprints=[blp, admin, callbacks],
                              database=database, config=settings, title="Logistics service")
