"""``create_app()`` builds the payment API; nothing connects until a request arrives."""

from flask import Flask

from payment.api import payments, wallet
from payment.definition import DEFINITION
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[payments, wallet], database=database,
                              config=config)
