"""``create_app()`` builds the cart API; nothing connects until a request arrives."""

from flask import Flask

from cart.api import blp
from cart.definition import DEFINITION
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[blp], database=database, config=config,
                              title="Cart service")
