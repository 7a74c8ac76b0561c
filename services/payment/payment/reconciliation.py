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


@dataclass(frozen=True)
class DayRecords:
    """The rows a day's reconciliation is made of: every succeeded payment, refund and
    payable of the orders that moved money on the day, each with whether its own moment
    falls on the day."""
    start: datetime
    end: datetime
    payments: list[Payment]
    refunds: list[Refund]
    payables: list[Payable]

    def on_day(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def day_records(db: Database, day: date) -> DayRecords:
    """The rows behind ``day``'s (UTC) report; the finance file is made of the same."""
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
            Payment.order_id.in_(orders), Payment.status == PaymentStatus.SUCCEEDED)
            .order_by(Payment.succeeded_at, Payment.id)))
        refunds = list(session.scalars(select(Refund).where(Refund.order_id.in_(orders))
                                       .order_by(Refund.succeeded_at, Refund.id)))
        payables = list(session.scalars(select(Payable).where(Payable.order_id.in_(orders))))
    return DayRecords(start, end, payments, refunds, payables)


def daily_report(db: Database, day: date) -> DailyReport:
    """What orders owed, what arrived and what went back on ``day`` (UTC), and mismatches."""
    records = day_records(db, day)
    on_day = records.on_day
    report = reconcile(
        [PaymentFact(p.id, p.order_id or "", p.method, p.amount, on_day(p.succeeded_at))
         for p in records.payments],
        [RefundFact(r.id, r.order_id, r.payment_id, r.method, r.amount, r.trigger,
                    r.status == RefundStatus.SUCCEEDED, on_day(r.succeeded_at))
         for r in records.refunds],
        [PayableFact(p.order_id, p.amount, p.status, p.payment_id, on_day(p.paid_at))
         for p in records.payables],
    )
    return DailyReport(date=day, currency=ledger.CURRENCY, by_method=report.by_method,
                       orders_paid=report.orders_paid,
                       payments_received=report.payments_received,
                       mismatches=report.mismatches)
