"""The order service as the shared runtime sees it."""

from pathlib import Path

import click

from order.handlers import handlers_for
from order.models import Base
from order.saga_stats import order_saga_stats
from order.settings import OrderSettings
from order.timers import order_timers
from service_runtime.config import database_url
from service_runtime.db import Database
from service_runtime.service import ServiceDefinition


@click.command("load-demo-prices", help="Load the demo SKU prices.")
def load_demo_prices() -> None:
    from order.demo import DEMO_PRICES
    from order.prices import load_prices

    count = load_prices(Database(database_url("order")), DEMO_PRICES)
    click.echo(f"order: {count} demo prices loaded")


DEFINITION = ServiceDefinition(
    name="order",
    app="order.app:create_app()",
    api_port=8104,
    worker_port=9104,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=OrderSettings,
    handlers=handlers_for,
    commands=[load_demo_prices],
    # The payment deadline and the auto-complete after delivery; the orders counted by
    # status for the metrics.
    loops=lambda settings: [order_timers(settings), order_saga_stats(settings)],
)
