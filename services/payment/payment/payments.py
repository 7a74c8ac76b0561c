"""Paying an order: from the wallet at once, in cash on delivery, or at a provider's
cashier whose signed notification says how it went.

Money moves only through conditional UPDATEs whose row counts are checked (a payable
leaves ``due`` once, a payment leaves ``pending`` once) and through the ledger
(idempotent per kind and reference), so no order is ever charged twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.vocabulary import PaymentMethod
from payment import events, ledger, metrics, payables, refunds, sandbox, topups
from payment.cashier_links import start_trade
from payment.domain import (
    AmountMismatch,
    CampaignNeedsPrepayment,
    PayableNotFound,
    PayableStatus,
    PaymentKind,
    PaymentNotFound,
    PaymentStatus,
    check_amount,
    check_fresh,
    check_payable,
)
from payment.models import Payable, Payment
from payment.providers import Ack, adapter
from payment.return_links import resolve_return_url
from payment.settings import PaymentSettings
from service_runtime.db import Database
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now

log = logging.getLogger(__name__)


def pay(db: Database, settings: PaymentSettings, user_id: str, order_id: str, method: str,
        idempotency_key: IdempotencyKey | None,
        return_url: str | None = None) -> tuple[Payment, bool]:
    """Start paying an order; return (payment, created). Never charges an order twice.

    ``balance`` pays at once: the payable's ``due -> paid``, the wallet debit and
    ``PaymentConfirmed`` commit together, both updates conditional. Cash on delivery
    turns the payable ``due -> on delivery``. A provider method creates a ``pending``
    payment the buyer completes at the provider's cashier (``next_action``); several
    may be pending. ``return_url``: where the cashier sends the buyer back (a path of the
    shop or a URL on its origin, else a 422).
    """
    back = resolve_return_url(settings, return_url)

    def create() -> Payment:
        with db.transaction() as session:
            payable = session.get(Payable, order_id)
            if payable is None or payable.user_id != user_id:
                raise PayableNotFound(f"no order {order_id} to pay (a new order may take a "
                                      "moment to become payable)")
            check_payable(payable.status, order_id)
            if method == PaymentMethod.CASH_ON_DELIVERY and payable.campaign_kind:
                raise CampaignNeedsPrepayment(f"order {order_id} was bought through a "
                                              f"{payable.campaign_kind} campaign")
            at = now()
            payment = Payment(id=time_ordered_id("pay"), order_id=order_id, user_id=user_id,
                              method=method, amount=payable.amount, currency=payable.currency,
                              status=PaymentStatus.PENDING, kind=PaymentKind.ORDER,
                              return_url=back, created_at=at,
                              **idempotency_columns(idempotency_key))
            if method == PaymentMethod.BALANCE:
                payables.move_due_payable(session, order_id, PayableStatus.PAID,
                                          paid=payable.amount, paid_at=at,
                                          payment_id=payment.id)
                ledger.pay_from_wallet(session, user_id, payable.amount, payable.currency,
                                       payment.id)
                payment.status, payment.succeeded_at = PaymentStatus.SUCCEEDED, at
                session.add(payment)
                events.payment_confirmed(session, payment, at)
                metrics.outcome(session, payment, metrics.Outcome.SUCCEEDED)
            elif method == PaymentMethod.CASH_ON_DELIVERY:
                payables.move_due_payable(session, order_id, PayableStatus.ON_DELIVERY,
                                          payment_id=payment.id)
                payment.status = PaymentStatus.AWAITING_DELIVERY
                session.add(payment)
                events.cash_on_delivery_chosen(session, payment, at)
            else:
                start_trade(session, settings, payment)
                session.add(payment)
            metrics.attempted(session, payment)
        return payment

    return create_once(db, Payment, user_id, idempotency_key, create)


def _money_arrived(session: Session, payment: Payment, payable_was: PayableStatus) -> None:
    """Money for ``payment`` arrived: book it, mark the payable paid and confirm, or,
    when the payable is no longer ``payable_was`` (cancelled, or paid by another
    attempt), refund this payment at once."""
    assert payment.order_id is not None
    ledger.receive_provider_payment(session, payment.method, payment.amount, payment.currency,
                                    payment.id)
    at = now()
    if payables.mark_paid(session, payment.order_id, payable_was, payment.amount, payment.id,
                          at):
        events.payment_confirmed(session, payment, at)
    else:
        refunds.refund_duplicate_payment(session, payment)


def cash_collected(session: Session, order_id: str) -> None:
    """``Delivered`` (not a replacement): the courier collected the cash of a COD order."""
    payment = session.scalars(select(Payment).where(
        Payment.order_id == order_id, Payment.method == PaymentMethod.CASH_ON_DELIVERY,
        Payment.status == PaymentStatus.AWAITING_DELIVERY)).first()
    if payment is None:
        return
    collected = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.AWAITING_DELIVERY)
        .values(status=PaymentStatus.SUCCEEDED, succeeded_at=now())
    ).rowcount
    if collected == 1:
        metrics.outcome(session, payment, metrics.Outcome.SUCCEEDED)
        _money_arrived(session, payment, payable_was=PayableStatus.ON_DELIVERY)


# ---------------------------------------------------------------------------------------
# Provider notifications


def handle_notification(db: Database, settings: PaymentSettings, provider: str, body: bytes,
                        headers: Mapping[str, str]) -> Ack:
    """A provider tells us how a payment went. Verified, fresh, the right amount, or refused
    (400, nothing changes). Applied in one transaction; a repeat changes nothing."""
    module = adapter(provider)
    notification = module.parse(body, headers,
                                sandbox.merchant_credentials(db, provider, settings))
    check_fresh(notification.sent_at, now(), settings.callback_max_age_s)
    with db.transaction() as session:
        payment = session.get(Payment, notification.payment_id)
        if payment is None or payment.method != provider:
            raise PaymentNotFound(f"no {provider} payment {notification.payment_id}")
        try:
            check_amount((payment.amount, payment.currency),
                         (notification.amount, notification.currency))
        except AmountMismatch:
            log.warning("notification amount differs from the payment; refused",
                        extra={"payment_id": payment.id, "provider": provider,
                               "notified": notification.amount, "expected": payment.amount})
            raise
        if notification.succeeded:
            _payment_succeeded(session, payment, notification.trade_no)
        else:
            _payment_failed(session, payment, notification.detail)
    return module.ACK


def _payment_succeeded(session: Session, payment: Payment, trade_no: str) -> None:
    succeeded = session.execute(
        update(Payment)
        .where(Payment.id == payment.id,
               Payment.status.in_((PaymentStatus.PENDING, PaymentStatus.FAILED)))
        .values(status=PaymentStatus.SUCCEEDED, trade_no=trade_no, succeeded_at=now())
    ).rowcount
    if succeeded != 1:
        return  # already succeeded: a repeated notification
    metrics.outcome(session, payment, metrics.Outcome.SUCCEEDED)
    if payment.kind == PaymentKind.TOP_UP:
        topups.credit_top_up(session, payment)
    else:
        _money_arrived(session, payment, payable_was=PayableStatus.DUE)


def _payment_failed(session: Session, payment: Payment, reason: str) -> None:
    at = now()
    failed = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING)
        .values(status=PaymentStatus.FAILED, failure_reason=reason[:500])
    ).rowcount
    if failed == 1:
        metrics.outcome(session, payment, metrics.Outcome.FAILED)
    if failed == 1 and payment.kind == PaymentKind.ORDER:
        events.payment_failed(session, payment, reason, at)


# ---------------------------------------------------------------------------------------
# Reads


def get_payment(db: Database, user_id: str, payment_id: str) -> Payment:
    """The caller's payment; someone else's is as unknown as a missing one (404)."""
    with db.read() as session:
        payment = session.get(Payment, payment_id)
        if payment is None or payment.user_id != user_id:
            raise PaymentNotFound(f"no payment {payment_id}")
        return payment


def list_payments(db: Database, user_id: str, order_id: str | None,
                  limit: int = 100) -> list[Payment]:
    """The caller's payments and top-ups, newest first (optionally of one order)."""
    query = select(Payment).where(Payment.user_id == user_id)
    if order_id is not None:
        query = query.where(Payment.order_id == order_id)
    with db.read() as session:
        return list(session.scalars(query.order_by(Payment.created_at.desc()).limit(limit)))
