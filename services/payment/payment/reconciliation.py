"""The daily reconciliation: what orders owed, what arrived and what went back on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, or_, select

from payment import ledger
from payment.domain import (
    PayableFact,
    PaymentFact,
    PaymentKind,
    PaymentStatus,
    RefundFact,
    RefundStatus,
    reconcile,
)
from payment.models import Payable, Payment, Refund
from service_runtime.db import Database


@dataclass(frozen=True)
class DailyReport:
    date: date
    currency: str
    by_method: dict[str, dict[str, int]]
    orders_paid: dict[str, int]
    payments_received: dict[str, int]
    mismatches: list[dict[str, str]]


def daily_report(db: Database, day: date) -> DailyReport:
    """What orders owed, what arrived and what went back on ``day`` (UTC), and mismatches."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    with db.read() as session:
        orders = set(session.scalars(select(Payment.order_id).where(
            Payment.kind == PaymentKind.ORDER, Payment.status == PaymentStatus.SUCCEEDED,
            Payment.succeeded_at >= start, Payment.succeeded_at < end)))
        orders |= set(session.scalars(select(Refund.order_id).where(
            or_(and_(Refund.created_at >= start, Refund.created_at < end),
                and_(Refund.succeeded_at >= start, Refund.succeeded_at < end)))))
        orders |= set(session.scalars(select(Payable.order_id).where(
            Payable.paid_at >= start, Payable.paid_at < end)))
        orders.discard(None)
        payments = list(session.scalars(select(Payment).where(
            Payment.order_id.in_(orders), Payment.status == PaymentStatus.SUCCEEDED)))
        refunds = list(session.scalars(select(Refund).where(Refund.order_id.in_(orders))))
        payables = list(session.scalars(select(Payable).where(Payable.order_id.in_(orders))))

    def on_day(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    report = reconcile(
        [PaymentFact(p.id, p.order_id or "", p.method, p.amount, on_day(p.succeeded_at))
         for p in payments],
        [RefundFact(r.id, r.order_id, r.payment_id, r.method, r.amount, r.trigger,
                    r.status == RefundStatus.SUCCEEDED, on_day(r.succeeded_at))
         for r in refunds],
        [PayableFact(p.order_id, p.amount, p.status, p.payment_id, on_day(p.paid_at))
         for p in payables],
    )
    return DailyReport(date=day, currency=ledger.CURRENCY, by_method=report.by_method,
                       orders_paid=report.orders_paid,
                       payments_received=report.payments_received,
                       mismatches=report.mismatches)
