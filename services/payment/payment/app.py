"""``create_app()`` builds the payment API; nothing connects until a request arrives.

Its settings (``PaymentSettings``) are read from the environment here, once, unless given.
"""

from flask import Flask

from payment.api import payments, reconciliation, top_ups
from payment.definition import DEFINITION
from payment.settings import PaymentSettings
from payment.wallet_api import wallet
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None,
               settings: PaymentSettings | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[payments, top_ups, wallet, reconciliation],
                              database=database, config=config, settings=settings)
