"""The marketing service as the shared runtime sees it (the one place its ports are
written)."""

from pathlib import Path

import click

from marketing.handlers import handlers
from marketing.jobs import expiry_job, group_expiry_job
from marketing.models import Base
from marketing.settings import MarketingSettings
from service_runtime.config import database_url
from service_runtime.db import Database
from service_runtime.service import ServiceDefinition


@click.command("load-demo", help="Load the demo coupons, promotions and group buy (idempotent).")
def load_demo() -> None:
    from marketing.demo import load_demo_offers

    db = Database(database_url("marketing"))
    try:
        coupons, promotions = load_demo_offers(db)
    finally:
        db.dispose()
    click.echo(f"marketing: {coupons} demo coupons and {promotions} demo promotions added")


DEFINITION = ServiceDefinition(
    name="marketing",
    app="marketing.app:create_app()",
    api_port=8108,
    worker_port=9108,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=MarketingSettings,
    handlers=handlers,
    commands=[load_demo],
    # Marks coupons past their validity expired; fails group buys past their deadline.
    loops=lambda settings: [expiry_job(settings), group_expiry_job(settings)],
)
