"""``create_app()`` builds the after-sales API; nothing connects until a request arrives."""

from flask import Flask

from aftersales.api import admin, blp
from aftersales.definition import DEFINITION
from aftersales.settings import AftersalesSettings
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None,
               settings: AftersalesSettings | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[blp, admin], database=database,
                              config=config, title="After-sales service", settings=settings)
