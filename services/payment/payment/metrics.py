"""The payment service's own metrics, next to the runtime's (``service_runtime.metrics``).

Each changes when the transaction that changed the payment or refund commits
(``count_after_commit``): a repeated notification, a replayed request (Idempotency-Key),
a redelivered event or a rolled-back transaction counts nothing.

The success rate of a method (and provider) is ``outcome="succeeded"`` over all outcomes;
attempts the buyer abandoned at the cashier have no outcome (they are in
``payment_attempts_total`` only).
"""

from __future__ import annotations

from prometheus_client import Counter
from sqlalchemy.orm import Session

from event_contracts.vocabulary import PaymentMethod
from payment.domain import Provider
from payment.models import Payment, Refund
from service_runtime.metrics import count_after_commit


class Outcome:
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# Who takes the money of a method that no outside provider handles.
IN_HOUSE = {PaymentMethod.BALANCE.value: "wallet", PaymentMethod.CASH_ON_DELIVERY.value: "courier"}

PAYMENT_ATTEMPTS = Counter(
    "payment_attempts_total",
    "Payments started (order payments and wallet top-ups), by method and provider",
    ["kind", "method", "provider"],
)
PAYMENT_OUTCOMES = Counter(
    "payment_outcomes_total",
    "Payments that succeeded (the money arrived) or failed (the provider said so)",
    ["kind", "method", "provider", "outcome"],
)
REFUNDS = Counter("refunds_total", "Refunds completed (the money went back)",
                  ["method", "destination"])
REFUNDED = Counter("refunded_fen_total", "Money refunded, in fen", ["currency", "method"])


def provider_of(method: str) -> str:
    """The outside provider of a method (alipay, wechat, card), else who takes it in house."""
    if method in {provider.value for provider in Provider}:
        return method
    return IN_HOUSE.get(method, "unknown")


def attempted(session: Session, payment: Payment) -> None:
    count_after_commit(session, PAYMENT_ATTEMPTS.labels(
        payment.kind, payment.method, provider_of(payment.method)))


def outcome(session: Session, payment: Payment, result: str) -> None:
    """``result``: an :class:`Outcome`."""
    count_after_commit(session, PAYMENT_OUTCOMES.labels(
        payment.kind, payment.method, provider_of(payment.method), result))


def refunded(session: Session, refund: Refund) -> None:
    count_after_commit(session, REFUNDS.labels(refund.method, refund.destination))
    count_after_commit(session, REFUNDED.labels(refund.currency, refund.method), refund.amount)
