"""``create_app()`` builds the order API; nothing connects until a request arrives."""

from flask import Flask

from order.api import blp
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_api("order", blueprints=[blp], database=database, config=config)
