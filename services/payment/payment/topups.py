"""Wallet top-ups: paid through a provider, credited to the wallet when it succeeds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from payment import ledger, metrics
from payment.cashier_links import start_trade
from payment.domain import PaymentKind, PaymentStatus, top_up_amounts
from payment.models import Payment
from payment.return_links import resolve_return_url
from payment.settings import PaymentSettings
from service_runtime.db import Database
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.money import Money


@dataclass(frozen=True)
class TopUpPackage:
    id: str
    price: Money  # what the provider charges
    credit: Money  # what the wallet gets, the shop's bonus included


def packages() -> list[TopUpPackage]:
    return [TopUpPackage(package_id, Money(price, ledger.CURRENCY),
                         Money(credit, ledger.CURRENCY))
            for package_id, (price, credit) in ledger.TOP_UP_PACKAGES.items()]


def top_up(db: Database, settings: PaymentSettings, user_id: str, package_id: str | None,
           amount: int | None, method: str, idempotency_key: IdempotencyKey | None,
           return_url: str | None = None) -> tuple[Payment, bool]:
    """Start a wallet top-up through a provider; the wallet is credited on its success."""
    price, credit = top_up_amounts(ledger.TOP_UP_PACKAGES, package_id, amount)
    back = resolve_return_url(settings, return_url)

    def create() -> Payment:
        with db.transaction() as session:
            payment = Payment(id=time_ordered_id("top"), order_id=None, user_id=user_id,
                              method=method, amount=price, currency=ledger.CURRENCY,
                              status=PaymentStatus.PENDING, kind=PaymentKind.TOP_UP,
                              credit=credit, package_id=package_id, return_url=back,
                              **idempotency_columns(idempotency_key), created_at=now())
            start_trade(session, settings, payment)
            session.add(payment)
            metrics.attempted(session, payment)
        return payment

    return create_once(db, Payment, user_id, idempotency_key, create)


def credit_top_up(session: Session, payment: Payment) -> None:
    """The provider took the top-up's money: credit the wallet, a package's bonus included."""
    credit = payment.credit or payment.amount
    ledger.top_up(session, payment.user_id, payment.method, payment.amount,
                  payment.currency, payment.id, bonus=credit - payment.amount)
