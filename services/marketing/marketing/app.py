"""``create_app()`` builds the marketing API; nothing connects until a request arrives."""

from flask import Flask

from marketing.api import admin, blp, internal
from marketing.definition import DEFINITION
from marketing.settings import MarketingSettings
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None,
               settings: MarketingSettings | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[blp, admin, internal], database=database,
                              config=config, title="Marketing service", settings=settings)
