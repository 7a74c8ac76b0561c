"""``create_app()`` builds the payment API; nothing connects until a request arrives."""

from flask import Flask

from payment.api import payments, reconciliation, top_ups
from payment.definition import DEFINITION
from payment.wallet_api import wallet
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[payments, top_ups, wallet, reconciliation],
                              database=database, config=config)
