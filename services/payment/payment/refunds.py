"""Refunds: deciding what goes back, submitting it to the provider, completing it.

A refund is recorded ``pending`` in the transaction that decides it, once per order and
trigger (a cancellation, a return, a duplicate payment). One back to the wallet
completes at once; one through a provider is submitted by the worker's refund job and
completed (ledger and ``RefundIssued``) in its own transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from event_contracts.vocabulary import PaymentMethod
from payment import events, ledger, metrics, sandbox
from payment.domain import (
    CANCELLATION_TRIGGER,
    DUPLICATE_TRIGGER_LIKE,
    RefundStatus,
    duplicate_trigger,
    refund_destination,
    refundable,
    return_trigger,
)
from payment.models import Payable, Payment, Refund
from payment.settings import DEFAULTS, PaymentSettings
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.jobs import RowJob

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# Deciding (the caller's transaction)


def refund_cancelled_order(session: Session, order_id: str, reason: str) -> None:
    """``OrderCancelled`` of a paid order: give back whatever is left of what it paid."""
    _refund_order(session, order_id, trigger=CANCELLATION_TRIGGER, requested=None,
                  reason=f"order cancelled: {reason}"[:500], return_id=None)


def refund_return(session: Session, order_id: str, return_id: str, amount: int,
                  currency: str, reason: str) -> None:
    """``ReturnApproved(refund_only)`` / ``ReturnReceived(return_refund)``: refund, capped."""
    payable = session.get(Payable, order_id)
    if payable is None or payable.currency != currency:
        log.warning("refund for an order that was never paid here",
                    extra={"order_id": order_id, "return_id": return_id})
        return
    _refund_order(session, order_id, trigger=return_trigger(return_id), requested=amount,
                  reason=reason, return_id=return_id)


def refund_duplicate_payment(session: Session, payment: Payment) -> None:
    """Give back the whole of a payment that found its order cancelled or already paid,
    so no order is ever charged twice."""
    log.warning("payment for an order no longer payable; refunding it",
                extra={"payment_id": payment.id, "order_id": payment.order_id})
    _create_refund(session, payment, payment.amount, trigger=duplicate_trigger(payment.id),
                   reason="payment for an order that was cancelled or already paid",
                   return_id=None)


def _refund_order(session: Session, order_id: str, trigger: str, requested: int | None,
                  reason: str, return_id: str | None) -> None:
    """Refund (part of) what paid the order, at most what is left; once per trigger."""
    if _existing_refund(session, order_id, trigger) is not None:
        return
    payable = session.get(Payable, order_id)
    if payable is None or payable.payment_id is None:
        return
    for _ in range(5):
        session.refresh(payable)  # the latest paid/refunded, not a cached copy
        amount = refundable(payable.paid, payable.refunded, requested)
        if amount <= 0:
            return
        reserved = session.execute(
            update(Payable)
            .where(Payable.order_id == order_id, Payable.refunded + amount <= Payable.paid)
            .values(refunded=Payable.refunded + amount)
        ).rowcount
        if reserved == 1:
            break
        # A concurrent refund committed in between: look again at what is left.
    else:
        raise RuntimeError(f"could not reserve a refund of order {order_id}; retry")
    payment = session.get(Payment, payable.payment_id)
    assert payment is not None
    _create_refund(session, payment, amount, trigger, reason, return_id)


def _existing_refund(session: Session, order_id: str, trigger: str) -> Refund | None:
    return session.scalars(select(Refund).where(Refund.order_id == order_id,
                                                Refund.trigger == trigger)).first()


def _create_refund(session: Session, payment: Payment, amount: int, trigger: str,
                   reason: str, return_id: str | None) -> None:
    """Record a refund ``pending``; one back to the wallet completes at once, one through
    a provider is completed by the refund job."""
    assert payment.order_id is not None
    if _existing_refund(session, payment.order_id, trigger) is not None:
        return
    through, destination = refund_destination(payment.method)
    refund = Refund(id=time_ordered_id("rfd"), payment_id=payment.id, order_id=payment.order_id,
                    user_id=payment.user_id, amount=amount, currency=payment.currency,
                    method=payment.method, destination=destination, reason=reason,
                    trigger=trigger, return_id=return_id, status=RefundStatus.PENDING,
                    attempts=0, created_at=now())
    session.add(refund)
    session.flush()  # a twin of the same trigger fails here on UNIQUE(order_id, trigger)
    if through == PaymentMethod.BALANCE:
        _complete_refund(session, refund.id, provider_refund_no=None)


# ---------------------------------------------------------------------------------------
# Completing


def _complete_refund(session: Session, refund_id: str, provider_refund_no: str | None) -> None:
    """The money went back: mark succeeded, post it to the ledger, tell ``RefundIssued``."""
    at = now()
    completed = session.execute(
        update(Refund).where(Refund.id == refund_id, Refund.status == RefundStatus.PENDING)
        .values(status=RefundStatus.SUCCEEDED, succeeded_at=at,
                provider_refund_no=provider_refund_no)
        .execution_options(synchronize_session=False)
    ).rowcount
    if completed != 1:
        return
    refund = session.get(Refund, refund_id)
    assert refund is not None
    session.refresh(refund)
    through, _ = refund_destination(refund.method)
    ledger.refund(session, refund.user_id, refund.amount, refund.currency, refund.id, through)
    refunded_total = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == refund.order_id, Refund.status == RefundStatus.SUCCEEDED,
            Refund.trigger.not_like(DUPLICATE_TRIGGER_LIKE)))
    paid = session.scalar(select(Payable.paid).where(Payable.order_id == refund.order_id)) or 0
    events.refund_issued(session, refund, refunded_total, paid, at)
    metrics.refunded(session, refund)


def _submit_refund(db: Database, refund_id: str, at: datetime, *, sandbox_on: bool) -> None:
    """Ask the provider to refund, then complete the refund in one transaction.

    The provider call happens outside any transaction and is idempotent per refund id
    (``out_refund_no``), so a crash after it only makes the next try ask again.
    """
    with db.read() as session:
        refund = session.get(Refund, refund_id)
    assert refund is not None
    if not sandbox_on:
        raise RuntimeError(f"no {refund.method} refund API is configured "
                           "(PAYMENT_SANDBOX is off)")
    refund_no = sandbox.submit_refund(db, refund.method, refund_id, refund.payment_id,
                                      refund.amount)
    with db.transaction() as session:
        _complete_refund(session, refund_id, refund_no)


# A provider refund that keeps failing is tried this often over about 10 minutes, then
# parked (``Refund.parked_at``, alert JobRowsParked) for an operator.
REFUND_ATTEMPTS = 8


def refund_submission(settings: PaymentSettings, limit: int = 20) -> RowJob:
    """The job submitting pending provider refunds, to the providers ``settings`` name."""
    return RowJob(
        service="payment", name="refund-submission", model=Refund,
        pending=lambda: Refund.status == RefundStatus.PENDING,
        run=partial(_submit_refund, sandbox_on=settings.sandbox),
        order_by=lambda: Refund.created_at, max_attempts=REFUND_ATTEMPTS, first_backoff_s=5,
        max_backoff_s=300, idle_s=1, batch=limit)


def refund_submitter(settings: PaymentSettings) -> Callable[[Database], Callable[
        [threading.Event], None]]:
    """The worker loop that submits pending provider refunds and completes them."""
    return refund_submission(settings).loop


def process_pending_refunds(db: Database, at: datetime | None = None, limit: int = 20,
                            settings: PaymentSettings = DEFAULTS) -> int:
    """Submit due pending provider refunds; complete each in its own transaction. Return
    how many were completed."""
    return refund_submission(settings, limit).run_due(db, at).succeeded


def retry_parked_refunds(db: Database) -> int:
    """Give parked refunds a fresh set of attempts (the provider's problem was fixed);
    which refunds are parked does not depend on the settings."""
    return refund_submission(DEFAULTS).unpark(db)
