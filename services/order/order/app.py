"""``create_app()`` builds the order API; nothing connects until a request arrives."""

from flask import Flask

from order.api import blp
from service_runtime.app import broker_check
from service_runtime.app import create_app as create_service_app
from service_runtime.config import KafkaSettings, database_url
from service_runtime.db import Database


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    return create_service_app(
        "order",
        blueprints=[blp],
        db=Database(database or database_url("order")),
        # Orders are accepted into the outbox while the broker is away: report it only.
        readiness=[broker_check(KafkaSettings.from_env(), required=False)],
        config=config,
        title="Order service",
    )
