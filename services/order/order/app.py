"""``create_app()`` builds the order API; nothing connects until a request arrives."""

from flask import Flask

from order.api import blp
from order.definition import DEFINITION
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[blp], database=database, config=config)
