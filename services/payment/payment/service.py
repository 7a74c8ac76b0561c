"""Payment use cases: one function per command, one transaction each.

Event handlers call the ``session`` functions here inside the consumer's transaction;
HTTP routes call the ``db`` functions, each one transaction. Money moves only through
conditional UPDATEs (``WHERE status = 'due'``, ``WHERE refunded + :x <= paid``) whose
row counts are checked, and through the ledger (idempotent per kind and reference).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from payment import ledger, sandbox
from payment.cashier_links import cashier_url
from payment.domain import (
    AmountMismatch,
    PayableFact,
    PayableNotFound,
    PaymentFact,
    PaymentNotFound,
    RefundFact,
    check_amount,
    check_fresh,
    check_payable,
    initial_payable_status,
    reconcile,
    refund_destination,
    refundable,
    top_up_amounts,
)
from payment.models import OrderSignal, Payable, Payment, Refund
from payment.providers import Ack, adapter
from service_runtime.config import Process, env_int, env_str, laptop_default
from service_runtime.db import Database
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.jobs import RowJob
from service_runtime.outbox import Outbox

log = logging.getLogger(__name__)
outbox = Outbox("payment")


@dataclass(frozen=True)
class Settings:
    # Where buyers' browsers reach us (the gateway): the base of redirect URLs.
    public_url: str = laptop_default("PAYMENT_PUBLIC_URL", "http://127.0.0.1:8080",
                                     read_by=[("payment", Process.API)])
    # Notifications older than this (or from the future) are refused: no replays.
    callback_max_age_s: int = 900

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            public_url=env_str("PAYMENT_PUBLIC_URL", cls.public_url).rstrip("/"),
            callback_max_age_s=env_int("PAYMENT_CALLBACK_MAX_AGE_S", cls.callback_max_age_s),
        )


def next_action(payment: Payment) -> dict | None:
    """Where the buyer goes to pay a pending provider payment (the provider's cashier)."""
    if payment.status != "pending" or payment.next_action_url is None:
        return None
    return {"type": "redirect", "url": payment.next_action_url}


def _start_trade(session: Session, payment: Payment) -> None:
    """Create the trade at the provider: it answers the cashier link the buyer follows."""
    payment.next_action_url = cashier_url(session, Settings.from_env().public_url,
                                          payment.method, payment.id, payment.created_at)


# ---------------------------------------------------------------------------------------
# Event handlers (the consumer's session; never commit)


def record_payable(session: Session, order_id: str, user_id: str, amount: int,
                   currency: str) -> None:
    """``OrderPlaced``: remember what the order owes (once), with what was heard before."""
    if session.get(Payable, order_id) is not None:
        return
    signal = session.get(OrderSignal, order_id)
    status = initial_payable_status(bool(signal and signal.stock_reserved),
                                    bool(signal and signal.cancelled))
    payable = Payable(order_id=order_id, user_id=user_id, amount=amount, currency=currency,
                      status=status, paid=0, refunded=0, created_at=now())
    session.add(payable)
    if status == "due":
        _announce_due(session, payable)


def _announce_due(session: Session, payable: Payable) -> None:
    """``PaymentDue``, in the transaction that made the payable ``due``: the order service
    shows the order as payable (``awaiting_payment``) only on this event, so no buyer can
    see an order payable before this service accepts its payment."""
    outbox.emit(session, "PaymentDue", key=payable.order_id, data={
        "order_id": payable.order_id,
        "user_id": payable.user_id,
        "amount": {"amount": payable.amount, "currency": payable.currency},
        "payable_at": now().isoformat(),
    })


def _signal(session: Session, order_id: str) -> OrderSignal:
    signal = session.get(OrderSignal, order_id)
    if signal is None:
        signal = OrderSignal(order_id=order_id, stock_reserved=False, cancelled=False)
        session.add(signal)
    return signal


def stock_reserved(session: Session, order_id: str) -> None:
    """``StockReserved``: the order becomes payable (``awaiting_stock -> due``, announced
    by ``PaymentDue`` once); on a payable already further or void it changes nothing."""
    payable = session.get(Payable, order_id)
    if payable is None:
        _signal(session, order_id).stock_reserved = True
        return
    became_due = session.execute(
        update(Payable)
        .where(Payable.order_id == order_id, Payable.status == "awaiting_stock")
        .values(status="due")
    ).rowcount
    if became_due == 1:
        _announce_due(session, payable)


def order_cancelled(session: Session, order_id: str, reason: str) -> None:
    """``OrderCancelled``: void an unpaid payable; refund whatever a paid one has left."""
    if session.get(Payable, order_id) is None:
        _signal(session, order_id).cancelled = True
        return
    voided = session.execute(
        update(Payable)
        .where(Payable.order_id == order_id,
               Payable.status.in_(("awaiting_stock", "due", "cod")))
        .values(status="void")
    ).rowcount
    if voided:
        session.execute(update(Payment)
                        .where(Payment.order_id == order_id,
                               Payment.status == "awaiting_delivery")
                        .values(status="cancelled"))
        return
    _refund_order(session, order_id, trigger="cancel", requested=None,
                  reason=f"order cancelled: {reason}"[:500], return_id=None)


def return_refund(session: Session, order_id: str, return_id: str, amount: int,
                  currency: str, reason: str) -> None:
    """``ReturnApproved(refund_only)`` / ``ReturnReceived(return_refund)``: refund, capped."""
    payable = session.get(Payable, order_id)
    if payable is None or payable.currency != currency:
        log.warning("refund for an order that was never paid here",
                    extra={"order_id": order_id, "return_id": return_id})
        return
    _refund_order(session, order_id, trigger=f"return:{return_id}", requested=amount,
                  reason=reason, return_id=return_id)


def delivered(session: Session, order_id: str) -> None:
    """``Delivered`` (not a replacement): the courier collected the cash of a COD order."""
    payment = session.scalars(select(Payment).where(
        Payment.order_id == order_id, Payment.method == "cod",
        Payment.status == "awaiting_delivery")).first()
    if payment is None:
        return
    claimed = session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == "awaiting_delivery")
        .values(status="succeeded", succeeded_at=now())
    ).rowcount
    if claimed == 1:
        _settle(session, payment, payable_status="cod")


# ---------------------------------------------------------------------------------------
# Money arriving, refunds


def _settle(session: Session, payment: Payment, payable_status: str) -> None:
    """Money for ``payment`` arrived: book it, mark the payable paid and confirm, or,
    when the payable is no longer ``payable_status`` (cancelled, or paid by another
    attempt), refund this payment at once so no order is ever charged twice."""
    assert payment.order_id is not None
    ledger.receive_provider_payment(session, payment.method, payment.amount, payment.currency,
                                    payment.id)
    at = now()
    claimed = session.execute(
        update(Payable)
        .where(Payable.order_id == payment.order_id, Payable.status == payable_status,
               Payable.amount == payment.amount)
        .values(status="paid", paid=payment.amount, paid_at=at, payment_id=payment.id)
    ).rowcount
    if claimed == 1:
        _confirm(session, payment, at)
        return
    log.warning("payment for an order no longer payable; refunding it",
                extra={"payment_id": payment.id, "order_id": payment.order_id})
    _create_refund(session, payment, payment.amount, trigger=f"duplicate:{payment.id}",
                   reason="payment for an order that was cancelled or already paid",
                   return_id=None)


def _confirm(session: Session, payment: Payment, at: datetime) -> None:
    outbox.emit(session, "PaymentConfirmed", key=payment.order_id, data={
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": {"amount": payment.amount, "currency": payment.currency},
        "method": payment.method,
        "confirmed_at": at.isoformat(),
    })


def _refund_order(session: Session, order_id: str, trigger: str, requested: int | None,
                  reason: str, return_id: str | None) -> Refund | None:
    """Refund (part of) what paid the order, at most what is left; once per trigger."""
    if _existing_refund(session, order_id, trigger) is not None:
        return None
    payable = session.get(Payable, order_id)
    if payable is None or payable.payment_id is None:
        return None
    for _ in range(5):
        session.refresh(payable)  # the latest paid/refunded, not a cached copy
        amount = refundable(payable.paid, payable.refunded, requested)
        if amount <= 0:
            return None
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
    return _create_refund(session, payment, amount, trigger, reason, return_id)


def _existing_refund(session: Session, order_id: str, trigger: str) -> Refund | None:
    return session.scalars(select(Refund).where(Refund.order_id == order_id,
                                                Refund.trigger == trigger)).first()


def _create_refund(session: Session, payment: Payment, amount: int, trigger: str,
                   reason: str, return_id: str | None) -> Refund:
    """Record a refund ``pending``; one back to the wallet completes at once, one through
    a provider is completed by :func:`process_pending_refunds` (the worker)."""
    assert payment.order_id is not None
    existing = _existing_refund(session, payment.order_id, trigger)
    if existing is not None:
        return existing
    target, destination = refund_destination(payment.method)
    refund = Refund(id=time_ordered_id("rfd"), payment_id=payment.id, order_id=payment.order_id,
                    user_id=payment.user_id, amount=amount, currency=payment.currency,
                    method=payment.method, destination=destination, reason=reason,
                    trigger=trigger, return_id=return_id, status="pending", attempts=0,
                    created_at=now())
    session.add(refund)
    session.flush()  # a twin of the same trigger fails here on UNIQUE(order_id, trigger)
    if target == "balance":
        _complete_refund(session, refund.id, provider_refund_no=None)
    return refund


def _complete_refund(session: Session, refund_id: str, provider_refund_no: str | None) -> None:
    """The money went back: mark succeeded, post it to the ledger, tell ``RefundIssued``."""
    at = now()
    claimed = session.execute(
        update(Refund).where(Refund.id == refund_id, Refund.status == "pending")
        .values(status="succeeded", succeeded_at=at, provider_refund_no=provider_refund_no)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return
    refund = session.get(Refund, refund_id)
    assert refund is not None
    session.refresh(refund)
    target, _ = refund_destination(refund.method)
    ledger.refund(session, refund.user_id, refund.amount, refund.currency, refund.id, target)
    refunded_total = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == refund.order_id, Refund.status == "succeeded",
            Refund.trigger.not_like("duplicate:%")))
    paid = session.scalar(select(Payable.paid).where(Payable.order_id == refund.order_id)) or 0
    outbox.emit(session, "RefundIssued", key=refund.order_id, data={
        "refund_id": refund.id,
        "order_id": refund.order_id,
        "user_id": refund.user_id,
        "amount": {"amount": refund.amount, "currency": refund.currency},
        "method": refund.method,
        "destination": refund.destination,
        "reason": refund.reason,
        "return_id": refund.return_id,
        "refunded_total": {"amount": refunded_total, "currency": refund.currency},
        "fully_refunded": paid > 0 and refunded_total >= paid,
        "duplicate_payment": refund.trigger.startswith("duplicate:"),
        "issued_at": at.isoformat(),
    })


def _submit_refund(db: Database, refund_id: str, at: datetime) -> None:
    """Ask the provider to refund, then complete the refund in one transaction.

    The provider call happens outside any transaction and is idempotent per refund id
    (``out_refund_no``), so a crash after it only makes the next try ask again.
    """
    with db.read() as session:
        refund = session.get(Refund, refund_id)
    assert refund is not None
    refund_no = sandbox.submit_refund(db, refund.method, refund_id, refund.payment_id,
                                      refund.amount)
    with db.transaction() as session:
        _complete_refund(session, refund_id, refund_no)


# A provider refund that keeps failing is tried 8 times over about 10 minutes, then
# parked (``Refund.parked_at``, alert JobRowsParked) for an operator.
REFUND_SUBMISSION = RowJob(
    service="payment", name="refund-submission", model=Refund,
    pending=lambda: Refund.status == "pending", run=_submit_refund,
    order_by=lambda: Refund.created_at, max_attempts=8, first_backoff_s=5, max_backoff_s=300,
    idle_s=1)


def process_pending_refunds(db: Database, at: datetime | None = None, limit: int = 20) -> int:
    """Submit due pending provider refunds; complete each in its own transaction. Return
    how many were completed."""
    return replace(REFUND_SUBMISSION, batch=limit).run_due(db, at).succeeded


def retry_parked_refunds(db: Database) -> int:
    """Give parked refunds a fresh set of attempts (the provider's problem was fixed)."""
    return REFUND_SUBMISSION.unpark(db)


# ---------------------------------------------------------------------------------------
# Paying


def pay(db: Database, user_id: str, order_id: str, method: str,
        idempotency_key: IdempotencyKey | None) -> tuple[Payment, bool]:
    """Start paying an order; return (payment, created). Never charges an order twice.

    ``balance`` pays at once: the payable's ``due -> paid``, the wallet debit and
    ``PaymentConfirmed`` commit together, both updates conditional. ``cod`` turns the
    payable ``due -> cod``. A provider method creates a ``pending`` payment the buyer
    completes at the provider's cashier (``next_action``); several may be pending.
    """

    def create() -> Payment:
        with db.transaction() as session:
            payable = session.get(Payable, order_id)
            if payable is None or payable.user_id != user_id:
                raise PayableNotFound(f"no order {order_id} to pay (a new order may take a "
                                      "moment to become payable)")
            check_payable(payable.status, order_id)
            at = now()
            payment = Payment(id=time_ordered_id("pay"), order_id=order_id, user_id=user_id,
                              method=method, amount=payable.amount, currency=payable.currency,
                              status="pending", kind="order", created_at=at,
                              **idempotency_columns(idempotency_key))
            if method == "balance":
                _claim(session, order_id, "paid", paid=payable.amount, paid_at=at,
                       payment_id=payment.id)
                ledger.pay_from_wallet(session, user_id, payable.amount, payable.currency,
                                       payment.id)
                payment.status, payment.succeeded_at = "succeeded", at
                session.add(payment)
                _confirm(session, payment, at)
            elif method == "cod":
                _claim(session, order_id, "cod", payment_id=payment.id)
                payment.status = "awaiting_delivery"
                session.add(payment)
                outbox.emit(session, "CashOnDeliveryChosen", key=order_id, data={
                    "payment_id": payment.id, "order_id": order_id, "user_id": user_id,
                    "amount": {"amount": payment.amount, "currency": payment.currency},
                    "chosen_at": at.isoformat(),
                })
            else:
                _start_trade(session, payment)
                session.add(payment)
        return payment

    return create_once(db, Payment, user_id, idempotency_key, create)


def _claim(session: Session, order_id: str, status: str, **values: object) -> None:
    """``due -> status``, conditionally; a loser of a race gets the problem that explains why."""
    claimed = session.execute(
        update(Payable).where(Payable.order_id == order_id, Payable.status == "due")
        .values(status=status, **values)
    ).rowcount
    if claimed != 1:
        current = session.scalar(select(Payable.status).where(Payable.order_id == order_id))
        check_payable(current or "void", order_id)
        raise AssertionError("unreachable: the payable was due")


def top_up(db: Database, user_id: str, package_id: str | None, amount: int | None,
           method: str, idempotency_key: IdempotencyKey | None) -> tuple[Payment, bool]:
    """Start a wallet top-up through a provider; the wallet is credited on its success."""
    price, credit = top_up_amounts(ledger.TOP_UP_PACKAGES, package_id, amount)

    def create() -> Payment:
        with db.transaction() as session:
            payment = Payment(id=time_ordered_id("top"), order_id=None, user_id=user_id,
                              method=method, amount=price, currency=ledger.CURRENCY,
                              status="pending", kind="top_up", credit=credit,
                              package_id=package_id, **idempotency_columns(idempotency_key),
                              created_at=now())
            _start_trade(session, payment)
            session.add(payment)
        return payment

    return create_once(db, Payment, user_id, idempotency_key, create)


# ---------------------------------------------------------------------------------------
# Provider notifications


def handle_notification(db: Database, provider: str, body: bytes,
                        headers: Mapping[str, str]) -> Ack:
    """A provider tells us how a payment went. Verified, fresh, the right amount, or refused
    (400, nothing changes). Applied in one transaction; a repeat changes nothing."""
    module = adapter(provider)
    notification = module.parse(body, headers, sandbox.merchant_credentials(db, provider))
    check_fresh(notification.sent_at, now(), Settings.from_env().callback_max_age_s)
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
    at = now()
    claimed = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(("pending", "failed")))
        .values(status="succeeded", trade_no=trade_no, succeeded_at=at)
    ).rowcount
    if claimed != 1:
        return  # already succeeded: a repeated notification
    if payment.kind == "top_up":
        credit = payment.credit or payment.amount
        ledger.top_up(session, payment.user_id, payment.method, payment.amount,
                      payment.currency, payment.id, bonus=credit - payment.amount)
        return
    _settle(session, payment, payable_status="due")


def _payment_failed(session: Session, payment: Payment, reason: str) -> None:
    at = now()
    claimed = session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == "pending")
        .values(status="failed", failure_reason=reason[:500])
    ).rowcount
    if claimed == 1 and payment.kind == "order":
        outbox.emit(session, "PaymentFailed", key=payment.order_id, data={
            "payment_id": payment.id, "order_id": payment.order_id,
            "user_id": payment.user_id, "method": payment.method,
            "reason": f"{payment.method}: {reason}"[:500], "failed_at": at.isoformat(),
        })


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


def reconciliation(db: Database, day: date) -> dict:
    """What orders owed, what arrived and what went back on ``day`` (UTC), and mismatches."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    with db.read() as session:
        orders = set(session.scalars(select(Payment.order_id).where(
            Payment.kind == "order", Payment.status == "succeeded",
            Payment.succeeded_at >= start, Payment.succeeded_at < end)))
        orders |= set(session.scalars(select(Refund.order_id).where(
            or_(and_(Refund.created_at >= start, Refund.created_at < end),
                and_(Refund.succeeded_at >= start, Refund.succeeded_at < end)))))
        orders |= set(session.scalars(select(Payable.order_id).where(
            Payable.paid_at >= start, Payable.paid_at < end)))
        orders.discard(None)
        payments = list(session.scalars(select(Payment).where(
            Payment.order_id.in_(orders), Payment.status == "succeeded")))
        refunds = list(session.scalars(select(Refund).where(Refund.order_id.in_(orders))))
        payables = list(session.scalars(select(Payable).where(Payable.order_id.in_(orders))))

    def on_day(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    report = reconcile(
        [PaymentFact(p.id, p.order_id or "", p.method, p.amount, on_day(p.succeeded_at))
         for p in payments],
        [RefundFact(r.id, r.order_id, r.payment_id, r.method, r.amount, r.trigger,
                    r.status == "succeeded", on_day(r.succeeded_at)) for r in refunds],
        [PayableFact(p.order_id, p.amount, p.status, p.payment_id, on_day(p.paid_at))
         for p in payables],
    )
    return {"date": day, "currency": ledger.CURRENCY, "by_method": report.by_method,
            "orders_paid": report.orders_paid, "payments_received": report.payments_received,
            "mismatches": report.mismatches}
