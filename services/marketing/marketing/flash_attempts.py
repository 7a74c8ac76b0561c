"""Flash attempts in SQL: the winner's transaction, and the events that move them.

``record_win`` is one transaction: the buyer's count grows by a conditional UPDATE
(``bought + q <= per_user_limit``), the item's ``remaining`` shrinks by one
(``remaining >= q``), the attempt is written ``pending`` with its ``FlashAttemptWon``;
any refusal rolls the whole transaction back. Units come back only by ending an attempt
(``pending|ordered -> rejected|cancelled``, a conditional UPDATE, so once) in the same
transaction as ``remaining += q, bought -= q``. Hence at every commit, per item:
``remaining = held - sum(q of live attempts)`` and per buyer ``bought = sum(q of their
live attempts)``, which ``flash_reconcile`` checks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketing.flash_domain import (
    LIVE_ATTEMPTS,
    AttemptNotFound,
    AttemptStatus,
    FlashStockStatus,
    LimitReached,
    SoldOut,
)
from marketing.flash_models import FlashAttempt, FlashBuyer, FlashItem
from marketing.models import OrderRecord
from service_runtime.db import Database, call_after_commit, insert_if_absent
from service_runtime.idempotency import idempotency_columns
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.outbox import Outbox

if TYPE_CHECKING:
    from marketing.flash_gate import Attempt, ItemFacts

outbox = Outbox("marketing")
# What gives units back to the gate's Redis copy after a commit (set by the worker's
# handlers; none: the SQL gate, whose counters are the SQL ones).
GiveBack = Callable[[str, str, str, int], None]


def record_win(db: Database, facts: ItemFacts, wanted: Attempt, at: datetime
               ) -> dict[str, Any]:
    """Take the units for the buyer and write the attempt with its FlashAttemptWon, or
    raise LimitReached / SoldOut with nothing changed."""
    q = wanted.quantity
    with db.transaction() as session:
        insert_if_absent(session, FlashBuyer, session_id=facts.session_id, sku=facts.sku,
                         user_id=wanted.user_id, bought=0)
        counted = session.execute(
            update(FlashBuyer)
            .where(FlashBuyer.session_id == facts.session_id, FlashBuyer.sku == facts.sku,
                   FlashBuyer.user_id == wanted.user_id,
                   FlashBuyer.bought + q <= facts.per_user_limit)
            .values(bought=FlashBuyer.bought + q)
            .execution_options(synchronize_session=False)).rowcount
        if counted != 1:
            raise LimitReached(f"at most {facts.per_user_limit} per buyer")
        taken = session.execute(
            update(FlashItem)
            .where(FlashItem.session_id == facts.session_id, FlashItem.sku == facts.sku,
                   FlashItem.stock_status == FlashStockStatus.HELD.value,
                   FlashItem.remaining >= q)
            .values(remaining=FlashItem.remaining - q)
            .execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            raise SoldOut(f"{facts.sku} is sold out")
        attempt = FlashAttempt(id=time_ordered_id("fsa"), session_id=facts.session_id,
                               sku=facts.sku, user_id=wanted.user_id, quantity=q,
                               status=AttemptStatus.PENDING.value, created_at=at,
                               updated_at=at, **idempotency_columns(wanted.key))
        session.add(attempt)
        outbox.emit(session, "FlashAttemptWon", key=attempt.id, data={
            "attempt_id": attempt.id, "session_id": facts.session_id,
            "user_id": wanted.user_id, "sku": facts.sku, "product_id": facts.product_id,
            "quantity": q,
            "unit_price": {"amount": facts.flash_price, "currency": facts.currency},
            "address_id": wanted.address_id, "delivery_method": wanted.delivery_method,
            "payment_timeout_s": facts.payment_seconds, "won_at": at.isoformat()})
        return {"attempt_id": attempt.id, "status": AttemptStatus.PENDING.value,
                "server_time": at}


def remaining(db: Database, session_id: str, sku: str) -> int | None:
    with db.read() as session:
        return session.scalar(select(FlashItem.remaining).where(
            FlashItem.session_id == session_id, FlashItem.sku == sku))


def attempt_view(db: Database, attempt_id: str, user_id: str) -> dict[str, Any]:
    """The buyer's own attempt (another's is not found)."""
    with db.read() as session:
        attempt = session.get(FlashAttempt, attempt_id)
        if attempt is None or attempt.user_id != user_id:
            raise AttemptNotFound(f"no attempt {attempt_id}")
        return {"attempt_id": attempt.id, "session_id": attempt.session_id,
                "sku": attempt.sku, "quantity": attempt.quantity, "status": attempt.status,
                "reason": attempt.reason, "order_id": attempt.order_id,
                "payment_due_at": attempt.payment_due_at, "created_at": attempt.created_at,
                "server_time": utcnow()}


# -- events ---------------------------------------------------------------------------


def stock_held(session: Session, data: dict[str, Any]) -> None:
    """FlashStockHeld: each item sells what the catalog set apart (once)."""
    for item in data["items"]:
        session.execute(
            update(FlashItem)
            .where(FlashItem.session_id == data["session_id"], FlashItem.sku == item["sku"],
                   FlashItem.stock_status == FlashStockStatus.PENDING.value)
            .values(held=item["held"], remaining=item["held"],
                    stock_status=FlashStockStatus.HELD.value)
            .execution_options(synchronize_session=False))


def order_placed(session: Session, data: dict[str, Any], give_back: GiveBack | None) -> None:
    """OrderPlaced of a flash order: its attempt is ordered; if the order was cancelled
    before this arrived, the units go back now."""
    attempt_id = data["campaign"].get("attempt_id")
    if not attempt_id:
        return
    due = data.get("payment_due_at")
    session.execute(
        update(FlashAttempt)
        .where(FlashAttempt.id == attempt_id,
               FlashAttempt.status == AttemptStatus.PENDING.value)
        .values(status=AttemptStatus.ORDERED.value, order_id=data["order_id"],
                payment_due_at=datetime.fromisoformat(due) if isinstance(due, str) else due,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    cancelled = session.scalar(select(OrderRecord.status).where(
        OrderRecord.order_id == data["order_id"])) == "cancelled"
    if cancelled:
        end_attempt(session, attempt_id, AttemptStatus.CANCELLED, "order cancelled",
                    give_back, order_id=data["order_id"])


def order_cancelled(session: Session, data: dict[str, Any], give_back: GiveBack | None) -> None:
    attempt_id = session.scalar(select(FlashAttempt.id).where(
        FlashAttempt.order_id == data["order_id"]))
    if attempt_id is not None:
        end_attempt(session, attempt_id, AttemptStatus.CANCELLED,
                    data.get("cancelled_by") or "order cancelled", give_back)


def order_rejected(session: Session, data: dict[str, Any], give_back: GiveBack | None) -> None:
    """FlashOrderRejected: no order was made; the units go back."""
    end_attempt(session, data["attempt_id"], AttemptStatus.REJECTED, data["reason"],
                give_back)


def end_attempt(session: Session, attempt_id: str, status: AttemptStatus, reason: str,
                give_back: GiveBack | None, order_id: str | None = None) -> bool:
    """A live attempt ends and its units are sellable again, once. True if it ended."""
    values: dict[str, Any] = {"status": status.value, "reason": reason[:40],
                              "updated_at": utcnow()}
    if order_id is not None:
        values["order_id"] = order_id
    ended = session.execute(
        update(FlashAttempt)
        .where(FlashAttempt.id == attempt_id, FlashAttempt.status.in_(LIVE_ATTEMPTS))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if ended != 1:
        return False
    attempt = session.get(FlashAttempt, attempt_id, populate_existing=True)
    q = attempt.quantity
    session.execute(update(FlashItem)
                    .where(FlashItem.session_id == attempt.session_id,
                           FlashItem.sku == attempt.sku)
                    .values(remaining=FlashItem.remaining + q)
                    .execution_options(synchronize_session=False))
    session.execute(update(FlashBuyer)
                    .where(FlashBuyer.session_id == attempt.session_id,
                           FlashBuyer.sku == attempt.sku, FlashBuyer.user_id == attempt.user_id)
                    .values(bought=FlashBuyer.bought - q)
                    .execution_options(synchronize_session=False))
    if give_back is not None:
        args = (attempt.session_id, attempt.sku, attempt.user_id, q)
        call_after_commit(session, f"flash-give-back:{attempt_id}",
                          lambda: give_back(*args))
    return True
