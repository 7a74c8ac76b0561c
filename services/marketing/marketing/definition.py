"""The marketing service as the shared runtime sees it (the one place its ports are
written)."""

from pathlib import Path

import click

from marketing.handlers import handlers_for
from marketing.jobs import expiry_job, flash_session_job, group_expiry_job
from marketing.models import Base
from marketing.settings import MarketingSettings
from service_runtime.config import database_url
from service_runtime.db import Database
from service_runtime.service import ServiceDefinition

# The demo flash session's SKU (the demo catalog's earbuds), its flash price and units.
DEMO_FLASH = ("EARBUDS-BT-PRO", 29900, 20)


@click.command("load-demo", help="Load the demo coupons, promotions, group buy and flash "
                                 "session (idempotent).")
def load_demo() -> None:
    from marketing.demo import load_demo_offers
    from marketing.flash_sales import demo_session

    db = Database(database_url("marketing"))
    try:
        coupons, promotions = load_demo_offers(db)
        sku, price, quantity = DEMO_FLASH
        flash = demo_session(db, sku, None, price, quantity)
    finally:
        db.dispose()
    click.echo(f"marketing: {coupons} demo coupons and {promotions} demo promotions added"
               + (", and a demo flash session" if flash else ""))


@click.command("flash-reconcile", help="Compare the flash gate's counters (SQL, Redis) with "
                                       "its attempts; print every difference, exit 1 if any.")
@click.option("--fix", is_flag=True, help="Set the counters from the attempts.")
@click.option("--pending-grace-s", default=60.0, show_default=True,
              help="A pending attempt older than this has had no answer from the order "
                   "service.")
def flash_reconcile(fix: bool, pending_grace_s: float) -> None:
    from marketing.flash_reconcile import reconcile

    settings = MarketingSettings.from_env()
    db = Database(database_url("marketing"))
    try:
        differences = reconcile(db, settings, fix=fix, pending_grace_s=pending_grace_s)
    finally:
        db.dispose()
    for line in differences:
        click.echo(line)
    click.echo(f"flash-reconcile: {len(differences)} difference(s)"
               + (" fixed" if fix and differences else ""))
    raise SystemExit(1 if differences else 0)


DEFINITION = ServiceDefinition(
    name="marketing",
    app="marketing.app:create_app()",
    api_port=8108,
    worker_port=9108,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=MarketingSettings,
    handlers=handlers_for,
    commands=[load_demo, flash_reconcile],
    # Marks coupons past their validity expired; fails group buys past their deadline;
    # ends flash sessions past their end.
    loops=lambda settings: [expiry_job(settings), group_expiry_job(settings),
                            flash_session_job(settings)],
)
