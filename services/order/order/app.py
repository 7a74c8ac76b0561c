"""``create_app()`` builds the order API; nothing connects until a request arrives.

Its settings (``OrderSettings``) are read from the environment here, once; tests may
pass their own in ``config[order.api.SETTINGS]``.
"""

from flask import Flask

from order.api import SETTINGS, blp
from order.definition import DEFINITION
from order.settings import OrderSettings
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    config = dict(config or {})
    if SETTINGS not in config:
        config[SETTINGS] = OrderSettings.from_env()
    return create_service_api(DEFINITION, blueprints=[blp], database=database, config=config)
