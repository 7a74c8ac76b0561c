"""Payment use cases: one function per command, one transaction each."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from payment.domain import AlreadyPaid, InsufficientBalance, check_credit, check_method
from payment.models import LedgerEntry, Payable, Payment, Wallet
from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.idempotency import create_once
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox

outbox = Outbox("payment")
CURRENCY = "CNY"


def record_payable(session: Session, order_id: str, user_id: str, amount: int,
                   currency: str) -> None:
    """``OrderPlaced``: remember what the order owes (once)."""
    if session.get(Payable, order_id) is None:
        session.add(Payable(order_id=order_id, user_id=user_id, amount=amount,
                            currency=currency, status="due", created_at=now()))


def pay(db: Database, user_id: str, order_id: str, method: str,
        idempotency_key: str | None) -> tuple[Payment, bool]:
    """Pay an order; return (payment, created). Never charges an order twice.

    The wallet debit, the payable's ``due -> paid`` and ``PaymentConfirmed`` commit
    together. Both updates are conditional, so concurrent attempts cannot overdraw
    the wallet or pay one order twice.
    """
    check_method(method)

    def create() -> Payment:
        with db.transaction() as session:
            payable = session.get(Payable, order_id)
            if payable is None or payable.user_id != user_id:
                raise NotFound(f"no payable order {order_id} (a new order may take a moment "
                               "to become payable)")
            claimed = session.execute(
                update(Payable).where(Payable.order_id == order_id, Payable.status == "due")
                .values(status="paid")
            ).rowcount
            if claimed != 1:
                raise AlreadyPaid(f"order {order_id} is already paid")
            payment_id = time_ordered_id("pay")
            debit(session, user_id, payable.amount, payable.currency, "payment", payment_id)
            at = now()
            payment = Payment(id=payment_id, order_id=order_id, user_id=user_id, method=method,
                              amount=payable.amount, currency=payable.currency,
                              status="succeeded", idempotency_key=idempotency_key,
                              created_at=at)
            session.add(payment)
            outbox.emit(session, "PaymentConfirmed", key=order_id, data={
                "payment_id": payment_id,
                "order_id": order_id,
                "user_id": user_id,
                "amount": {"amount": payable.amount, "currency": payable.currency},
                "method": method,
                "confirmed_at": at.isoformat(),
            })
        return payment

    return create_once(db, Payment, user_id, idempotency_key, create)


def debit(session: Session, user_id: str, amount: int, currency: str, kind: str,
          reference: str) -> None:
    """Take ``amount`` from the wallet, or raise InsufficientBalance. Never below zero."""
    changed = session.execute(
        update(Wallet)
        .where(Wallet.user_id == user_id, Wallet.currency == currency, Wallet.balance >= amount)
        .values(balance=Wallet.balance - amount)
    ).rowcount
    if changed != 1:
        raise InsufficientBalance()
    balance = session.scalar(select(Wallet.balance).where(Wallet.user_id == user_id))
    session.add(LedgerEntry(user_id=user_id, amount=-amount, currency=currency, kind=kind,
                            reference=reference, balance_after=balance, created_at=now()))


def credit_wallet(db: Database, user_id: str, amount: int, reference: str) -> int:
    """Add money to a wallet once per ``reference``; return the balance.

    Used for opening balances (demo users); crediting the same reference again
    changes nothing, so a restarted seed cannot mint money.
    """
    check_credit(amount)
    with db.transaction() as session:
        done = session.scalar(select(LedgerEntry.id).where(
            LedgerEntry.user_id == user_id, LedgerEntry.kind == "credit",
            LedgerEntry.reference == reference))
        if done is not None:
            return session.scalar(select(Wallet.balance).where(Wallet.user_id == user_id))
        if session.get(Wallet, user_id) is None:
            session.add(Wallet(user_id=user_id, balance=0, currency=CURRENCY))
            session.flush()
        session.execute(
            update(Wallet).where(Wallet.user_id == user_id)
            .values(balance=Wallet.balance + amount)
        )
        balance = session.scalar(select(Wallet.balance).where(Wallet.user_id == user_id))
        session.add(LedgerEntry(user_id=user_id, amount=amount, currency=CURRENCY,
                                kind="credit", reference=reference, balance_after=balance,
                                created_at=now()))
        return balance


def get_payment(db: Database, user_id: str, payment_id: str) -> Payment:
    with db.read() as session:
        payment = session.get(Payment, payment_id)
        if payment is None or payment.user_id != user_id:
            raise NotFound(f"no payment {payment_id}")
        return payment


def get_wallet(db: Database, user_id: str, limit: int = 50) -> dict:
    with db.read() as session:
        wallet = session.get(Wallet, user_id)
        entries = list(session.scalars(
            select(LedgerEntry).where(LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id.desc()).limit(limit)
        ))
    return {
        "balance": {"amount": wallet.balance if wallet else 0,
                    "currency": wallet.currency if wallet else CURRENCY},
        "ledger": entries,
    }
