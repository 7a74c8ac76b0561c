"""``create_app()`` builds the payment API; nothing connects until a request arrives."""

from flask import Flask

from payment.api import payments, wallet
from service_runtime.app import broker_check
from service_runtime.app import create_app as create_service_app
from service_runtime.config import KafkaSettings, database_url
from service_runtime.db import Database


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_app(
        "payment",
        blueprints=[payments, wallet],
        db=Database(database or database_url("payment")),
        # Payments are recorded in the outbox while the broker is away: report it only.
        readiness=[broker_check(KafkaSettings.from_env(), required=False)],
        config=config,
        title="Payment service",
    )
