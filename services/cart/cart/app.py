"""``create_app()`` builds the cart API; nothing connects until a request arrives.

Its settings (``CartSettings``) are read from the environment here, once, unless given;
the marketing client (a pooled session, no connection yet) is made with them."""

from flask import Flask

from cart.api import blp
from cart.definition import DEFINITION
from cart.marketing_client import MarketingClient
from cart.settings import CartSettings
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None,
               settings: CartSettings | None = None) -> Flask:
    app = create_service_api(DEFINITION, blueprints=[blp], database=database, config=config,
                             title="Cart service", settings=settings)
    app.extensions["marketing"] = MarketingClient.from_settings(app.extensions["settings"])
    return app
