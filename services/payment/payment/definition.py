"""The payment service as the shared runtime sees it."""

from pathlib import Path

import click

from payment import (
    ledger_models,  # noqa: F401  (the ledger's tables join Base.metadata)
    refunds,
)
from payment.handlers import handlers
from payment.models import Base
from payment.sandbox import notifier as sandbox_notifier
from payment.settings import PaymentSettings
from service_runtime.config import database_url
from service_runtime.db import Database
from service_runtime.service import LoopFactory, ServiceDefinition


@click.command("credit-wallet", help="Credit USER's wallet with AMOUNT minor units (fen).")
@click.argument("user_id")
@click.argument("amount", type=int)
@click.option("--reference", default="opening-balance")
def credit_wallet(user_id: str, amount: int, reference: str) -> None:
    from payment.ledger import credit_opening_balance

    balance = credit_opening_balance(Database(database_url("payment")), user_id, amount,
                                     reference)
    click.echo(f"payment: wallet of {user_id} now holds {balance}")


@click.command("retry-parked-refunds",
               help="Retry the provider refunds that failed every attempt and were parked.")
def retry_parked_refunds() -> None:
    count = refunds.retry_parked_refunds(Database(database_url("payment")))
    click.echo(f"payment: {count} parked refund(s) will be tried again")


def worker_loops(settings: PaymentSettings) -> list[LoopFactory]:
    """The refund submitter, and the sandbox's notifier while the sandbox stands in for
    the providers."""
    sandbox = [sandbox_notifier(settings)] if settings.sandbox else []
    return [*sandbox, refunds.refund_submitter(settings)]


DEFINITION = ServiceDefinition(
    name="payment",
    app="payment.app:create_app()",
    api_port=8105,
    worker_port=9105,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=PaymentSettings,
    handlers=handlers,
    commands=[credit_wallet, retry_parked_refunds],
    loops=worker_loops,
)
