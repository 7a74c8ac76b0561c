"""What the payment service tells others: one function per event, each writing it to the
outbox in the caller's transaction (so the event commits with the change it reports)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from payment.models import Payable, Payment, Refund
from service_runtime.money import money_json
from service_runtime.outbox import Outbox

outbox = Outbox("payment")


def payment_due(session: Session, payable: Payable, at: datetime) -> None:
    """The order can be paid now; the order service shows it payable only on this."""
    outbox.emit(session, "PaymentDue", key=payable.order_id, data={
        "order_id": payable.order_id,
        "user_id": payable.user_id,
        "amount": money_json(payable.amount, payable.currency),
        "payable_at": at.isoformat(),
    })


def payment_confirmed(session: Session, payment: Payment, at: datetime) -> None:
    """With the order's group (a group-buy order): logistics holds its parcel until the
    group succeeds."""
    payable = session.get(Payable, payment.order_id) if payment.order_id else None
    outbox.emit(session, "PaymentConfirmed", key=payment.order_id, data={
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": money_json(payment.amount, payment.currency),
        "method": payment.method,
        "confirmed_at": at.isoformat(),
        **({"group_id": payable.group_id} if payable is not None and payable.group_id else {}),
    })


def payment_failed(session: Session, payment: Payment, reason: str, at: datetime) -> None:
    outbox.emit(session, "PaymentFailed", key=payment.order_id, data={
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "method": payment.method,
        "reason": f"{payment.method}: {reason}"[:500],
        "failed_at": at.isoformat(),
    })


def cash_on_delivery_chosen(session: Session, payment: Payment, at: datetime) -> None:
    outbox.emit(session, "CashOnDeliveryChosen", key=payment.order_id, data={
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": money_json(payment.amount, payment.currency),
        "chosen_at": at.isoformat(),
    })


def refund_issued(session: Session, refund: Refund, refunded_total: int, paid: int,
                  at: datetime) -> None:
    """``refunded_total``: everything given back of the order's one charge so far (this
    refund included); ``paid``: that charge."""
    outbox.emit(session, "RefundIssued", key=refund.order_id, data={
        "refund_id": refund.id,
        "order_id": refund.order_id,
        "user_id": refund.user_id,
        "amount": money_json(refund.amount, refund.currency),
        "method": refund.method,
        "destination": refund.destination,
        "reason": refund.reason,
        "return_id": refund.return_id,
        "refunded_total": money_json(refunded_total, refund.currency),
        "fully_refunded": paid > 0 and refunded_total >= paid,
        "duplicate_payment": refund.duplicate_payment,
        "issued_at": at.isoformat(),
    })
