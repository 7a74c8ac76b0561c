"""Order use cases: one function per command, one transaction each.

Every status change is a conditional ``UPDATE ... WHERE status = :expected`` checked by
its row count, so a timer and an event handler (or two handlers) can never both move
the same order: the loser either retries on fresh state (handlers: the consumer retries
the event) or skips the order (timers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial

from sqlalchemy import ColumnElement, false, select, update
from sqlalchemy.orm import Session

from event_contracts.events.payment import CASH_ON_DELIVERY
from order.domain import (
    UNPAID,
    OrderChanged,
    OrderStatus,
    Price,
    RequestedLine,
    auto_complete_cutoff,
    check_buyer_cancel,
    check_confirm_receipt,
    check_transition,
    forward_path,
    note,
    order_total,
    payment_deadline,
    payment_due_path,
    price_lines,
    refund_cancels,
    refund_target,
)
from order.models import Order, OrderLine, OrderTimelineEntry, SkuPrice
from service_runtime.config import env_int
from service_runtime.db import Database
from service_runtime.errors import InvalidInput, NotFound
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox

log = logging.getLogger(__name__)
outbox = Outbox("order")

# How many orders one timer pass handles at most (each in its own transaction).
TIMER_BATCH = 100


def payment_timeout_s() -> int:
    """``ORDER_PAYMENT_TIMEOUT_S``: how long an order may stay unpaid (default 30 minutes)."""
    return env_int("ORDER_PAYMENT_TIMEOUT_S", 1800)


def auto_complete_after_s() -> int:
    """``ORDER_AUTO_COMPLETE_AFTER_S``: a delivered order completes itself after this."""
    return env_int("ORDER_AUTO_COMPLETE_AFTER_S", 7 * 24 * 3600)


# -- helpers -----------------------------------------------------------------------------


def _order(session: Session, order_id: str, what: str) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        # This service creates every order before announcing it, so this is a bug or
        # a foreign event: let the consumer dead-letter it rather than guess.
        raise NotFound(f"{what} names unknown order {order_id}")
    return order


def _timeline(order: Order, status: str, text: str, at: datetime) -> None:
    order.timeline.append(OrderTimelineEntry(status=status, note=note(text), at=at))


def _move(session: Session, order: Order, path: Sequence[OrderStatus], notes: Sequence[str],
          at: datetime, *, where: Sequence[ColumnElement[bool]] = (),
          expected: str | None = None, **values: object) -> bool:
    """Move ``order`` along ``path`` with one conditional UPDATE; False if it lost a race.

    One timeline entry per step (``notes`` pairs with ``path``; the last note repeats).
    """
    expected = expected or order.status
    previous = OrderStatus(expected)
    for step in path:
        check_transition(previous, step)
        previous = step
    changed = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == expected, *where)
        .values(status=path[-1], updated_at=at, **values)
    ).rowcount
    if changed != 1:
        return False
    for i, step in enumerate(path):
        _timeline(order, step, notes[min(i, len(notes) - 1)], at)
    return True


def _must_move(session: Session, order: Order, path: Sequence[OrderStatus],
               notes: Sequence[str], at: datetime, **values: object) -> None:
    """For handlers: a lost race rolls the event back; the consumer retries on fresh state."""
    if path and not _move(session, order, path, notes, at, **values):
        raise OrderChanged(f"order {order.id} changed concurrently; retrying")


def _paid_before_shipping(order: Order) -> bool:
    """Whether the order went through ``paid``: cash on delivery never does."""
    return order.paid_at is not None and not order.cash_on_delivery


def _must_set(session: Session, order: Order, *where: ColumnElement[bool],
              **values: object) -> None:
    """Record facts on an order whose status must not have changed meanwhile."""
    changed = session.execute(
        update(Order).where(Order.id == order.id, Order.status == order.status, *where)
        .values(**values)
    ).rowcount
    if changed != 1:
        raise OrderChanged(f"order {order.id} changed concurrently; retrying")


def _emit_cancelled(session: Session, order: Order, by: str, reason: str, at: datetime) -> None:
    outbox.emit(session, "OrderCancelled", key=order.id, data={
        "order_id": order.id,
        "user_id": order.user_id,
        "reason": note(reason),
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in order.lines],
        "cancelled_at": at.isoformat(),
        "cancelled_by": by,
    })


def _emit_completed(session: Session, order: Order, by: str, at: datetime) -> None:
    outbox.emit(session, "OrderCompleted", key=order.id, data={
        "order_id": order.id, "user_id": order.user_id, "completed_by": by,
        "completed_at": at.isoformat(),
    })


def _own_order(session: Session, user_id: str, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound(f"no order {order_id}")
    return order


# -- the buyer's commands ----------------------------------------------------------------


def place_order(
    db: Database,
    user_id: str,
    lines: Sequence[RequestedLine] | None,
    delivery_method: str,
    address_id: str,
    idempotency_key: IdempotencyKey | None,
    read_address: Callable[[str], Mapping[str, str | None]],
    coupon_code: str | None = None,
    read_cart: Callable[[], Sequence[RequestedLine]] | None = None,
) -> tuple[Order, bool]:
    """Store a ``pending`` order and its ``OrderPlaced`` event together; return (order, created).

    The order keeps a copy of the caller's address ``address_id`` (``read_address``) and,
    without ``lines``, takes what to order from the caller's cart (``read_cart``); both are
    read outside any transaction and only when the order is really created. Prices always
    come from the local price list. A repeated ``Idempotency-Key`` returns the first order;
    sent with a different request it is a 422 ``idempotency-key-reused``.
    """

    def create() -> Order:
        wanted = lines
        if wanted is None:
            if read_cart is None:
                raise InvalidInput("lines are required")
            wanted = read_cart()
        address = dict(read_address(address_id))
        with db.transaction() as session:
            known = {
                p.sku: p
                for p in session.scalars(
                    select(SkuPrice).where(SkuPrice.sku.in_({line.sku for line in wanted}))
                )
            }
            priced = price_lines(wanted, {sku: Price(p.amount, p.currency)
                                          for sku, p in known.items()})
            total = order_total(priced)
            at = now()
            due = payment_deadline(at, payment_timeout_s())
            order = Order(
                id=time_ordered_id("ord"),
                user_id=user_id,
                # Waits for PaymentDue (stock reserved, payable) or StockRejected.
                status=OrderStatus.PENDING,
                total_amount=total.amount,
                currency=total.currency,
                delivery_method=delivery_method,
                address_id=address_id,
                shipping_address=address,
                **idempotency_columns(idempotency_key),
                coupon_code=coupon_code,
                payment_due_at=due,
                cash_on_delivery=False,
                refunded_amount=0,
                created_at=at,
                updated_at=at,
                lines=[
                    OrderLine(position=i, sku=line.sku, quantity=line.quantity,
                              unit_amount=line.unit_price.amount,
                              product_id=known[line.sku].product_id)
                    for i, line in enumerate(priced)
                ],
                timeline=[
                    OrderTimelineEntry(status=OrderStatus.PENDING,
                                       note="order placed; reserving stock", at=at)
                ],
            )
            session.add(order)
            session.flush()
            outbox.emit(session, "OrderPlaced", key=order.id, data={
                "order_id": order.id,
                "user_id": user_id,
                "lines": [
                    {"sku": line.sku, "quantity": line.quantity,
                     "unit_price": {"amount": line.unit_price.amount,
                                    "currency": line.unit_price.currency},
                     "product_id": known[line.sku].product_id}
                    for line in priced
                ],
                "total": {"amount": total.amount, "currency": total.currency},
                "delivery_method": delivery_method,
                "address_id": address_id,
                "shipping_address": address,
                "placed_at": at.isoformat(),
                "payment_due_at": due.isoformat(),
                "coupon_code": coupon_code,
            })
        return order

    return create_once(db, Order, user_id, idempotency_key, create)


def get_order(db: Database, user_id: str, order_id: str) -> Order:
    """The caller's order; someone else's order is reported as not found."""
    with db.read() as session:
        return _own_order(session, user_id, order_id)


def list_orders(db: Database, user_id: str, limit: int, before: str | None,
                status: str | None = None) -> list[Order]:
    """The caller's orders, newest first, ``limit`` at a time, after the cursor ``before``."""
    with db.read() as session:
        query = select(Order).where(Order.user_id == user_id)
        if before:
            query = query.where(Order.id < before)
        if status:
            query = query.where(Order.status == status)
        return list(session.scalars(query.order_by(Order.id.desc()).limit(limit)))


def cancel_order(db: Database, user_id: str, order_id: str, reason: str | None) -> Order:
    """The buyer cancels before shipping: ``OrderCancelled(buyer)`` releases the stock and
    makes the payment service refund whatever was paid. A second cancel is a 409."""
    with db.transaction() as session:
        order = _own_order(session, user_id, order_id)
        check_buyer_cancel(OrderStatus(order.status))
        at = now()
        text = reason or "cancelled by the buyer"
        if not _move(session, order, [OrderStatus.CANCELLED], [f"cancelled by the buyer: {text}"],
                     at):
            raise OrderChanged("the order changed meanwhile; look at it again")
        _emit_cancelled(session, order, "buyer", text, at)
        return order


def confirm_receipt(db: Database, user_id: str, order_id: str) -> Order:
    """The buyer has the goods: the order completes (``OrderCompleted(buyer)``)."""
    with db.transaction() as session:
        order = _own_order(session, user_id, order_id)
        check_confirm_receipt(OrderStatus(order.status))
        at = now()
        if not _move(session, order, [OrderStatus.COMPLETED], ["the buyer confirmed receipt"],
                     at):
            raise OrderChanged("the order changed meanwhile; look at it again")
        _emit_completed(session, order, "buyer", at)
        return order


# -- events from the other services (the consumer's session; never commit) ---------------


def payment_due(session: Session, order_id: str) -> None:
    """``PaymentDue``: pending -> awaiting_payment, or straight on to paid when the payment
    arrived first. Only the payment service knows when an order can be paid (it has seen
    both ``OrderPlaced`` and ``StockReserved``), so the order shows ``awaiting_payment`` only
    on its word: a buyer who pays the moment it does is never told "not payable yet".
    Anything else (already further, cancelled) is a late no-op."""
    order = _order(session, order_id, "PaymentDue")
    path = payment_due_path(OrderStatus(order.status), _paid_before_shipping(order))
    _must_move(session, order, path,
               ["stock reserved; payment due", f"payment {order.payment_id} confirmed earlier"],
               now())


def stock_rejected(session: Session, order_id: str, skus: Sequence[str]) -> None:
    """``StockRejected``: a pending order is cancelled for want of stock (once)."""
    order = _order(session, order_id, "StockRejected")
    if order.status != OrderStatus.PENDING:
        return
    at = now()
    reason = "out of stock: " + ", ".join(skus) if skus else "out of stock"
    _must_move(session, order, [OrderStatus.CANCELLED], [reason], at)
    _emit_cancelled(session, order, "stock", reason, at)


def payment_confirmed(session: Session, order_id: str, payment_id: str, method: str,
                      confirmed_at: datetime) -> None:
    """``PaymentConfirmed``: awaiting_payment -> paid; while still pending the payment is
    remembered (PaymentDue then goes straight to paid); on a cancelled or later order
    it is recorded and noted only (the payment service refunds what a cancelled order got).

    Cash on delivery is collected at the door, so its confirmation is recorded and never
    makes the order ``paid``: it may arrive before this service has seen Shipped and
    Delivered (other topics), which then move the order on.
    """
    order = _order(session, order_id, "PaymentConfirmed")
    if order.payment_id == payment_id and order.paid_at is not None:
        return  # already known
    at = now()
    facts = {"payment_id": payment_id, "payment_method": method, "paid_at": confirmed_at}
    if method == CASH_ON_DELIVERY:
        facts["cash_on_delivery"] = True
    status = OrderStatus(order.status)
    if status == OrderStatus.AWAITING_PAYMENT and method != CASH_ON_DELIVERY:
        _must_move(session, order, [OrderStatus.PAID], [f"payment {payment_id} confirmed"], at,
                   **facts)
        return
    if order.paid_at is not None:
        _timeline(order, status, f"another payment {payment_id} confirmed ({method}); "
                                 "it is refunded", at)
        return
    _must_set(session, order, Order.paid_at.is_(None), updated_at=at, **facts)
    if status == OrderStatus.PENDING:
        text = f"payment {payment_id} confirmed before the order was shown payable"
    elif status == OrderStatus.CANCELLED:
        text = f"payment {payment_id} confirmed after cancellation; it is refunded"
    elif method == CASH_ON_DELIVERY:
        text = f"cash on delivery collected ({payment_id})"
    else:
        text = f"payment {payment_id} confirmed"
    _timeline(order, status, text, at)


def payment_failed(session: Session, order_id: str, payment_id: str, reason: str) -> None:
    """``PaymentFailed``: a note; the order stays payable until its deadline."""
    order = _order(session, order_id, "PaymentFailed")
    _timeline(order, order.status, f"payment {payment_id} failed: {reason}", now())


def cash_on_delivery_chosen(session: Session, order_id: str, payment_id: str) -> None:
    """``CashOnDeliveryChosen``: no payment deadline any more; the order may ship unpaid."""
    order = _order(session, order_id, "CashOnDeliveryChosen")
    if order.cash_on_delivery:
        return
    at = now()
    if order.status not in UNPAID:
        _timeline(order, order.status, f"cash on delivery chosen ({payment_id}) too late", at)
        return
    _must_set(session, order, cash_on_delivery=True, payment_method=CASH_ON_DELIVERY,
              payment_id=payment_id, updated_at=at)
    _timeline(order, order.status, "cash on delivery chosen: pay when it arrives", at)


def shipped(session: Session, order_id: str, shipment_id: str, carrier: str,
            tracking_number: str) -> None:
    """``Shipped`` (not a replacement): the order is on its way, whatever it missed before."""
    order = _order(session, order_id, "Shipped")
    text = f"shipped by {carrier}, tracking {tracking_number} ({shipment_id})"
    at = now()
    if order.status == OrderStatus.CANCELLED:
        _timeline(order, order.status, f"{text} after cancellation", at)
        return
    path = forward_path(OrderStatus(order.status), OrderStatus.SHIPPED,
                        _paid_before_shipping(order))
    _must_move(session, order, path, [text], at)


def delivered(session: Session, order_id: str, shipment_id: str,
              delivered_at: datetime) -> None:
    """``Delivered`` (not a replacement): the auto-complete timer counts from ``delivered_at``."""
    order = _order(session, order_id, "Delivered")
    path = forward_path(OrderStatus(order.status), OrderStatus.DELIVERED,
                        _paid_before_shipping(order))
    if OrderStatus.DELIVERED not in path:
        if order.delivered_at is None:
            _must_set(session, order, delivered_at=delivered_at)
            _timeline(order, order.status, f"shipment {shipment_id} delivered", now())
        return
    _must_move(session, order, path, [f"shipment {shipment_id} delivered"], now(),
               delivered_at=delivered_at)


def refund_issued(session: Session, order_id: str, refund_id: str, amount: Price,
                  refunded_total: int, fully_refunded: bool, reason: str, *,
                  duplicate_payment: bool = False) -> None:
    """``RefundIssued``: refunded / partially_refunded from paid, delivered, completed or
    partially_refunded; a note elsewhere (e.g. on a cancelled order). A full refund of a
    paid, unshipped order also cancels it (stock released, shipment cancelled). The refund
    of a second charge is only a note: the order's own payment stands."""
    order = _order(session, order_id, "RefundIssued")
    status = OrderStatus(order.status)
    if duplicate_payment:
        _timeline(order, status, f"duplicate charge refunded ({refund_id} of {amount})", now())
        return
    target = refund_target(status, fully_refunded)
    if target is None and refunded_total <= order.refunded_amount:
        return  # nothing new: a refund already counted
    at = now()
    text = f"refund {refund_id} of {amount}: {reason}"
    refunded = max(refunded_total, order.refunded_amount)
    if target is None:
        _must_set(session, order, refunded_amount=refunded, updated_at=at)
        _timeline(order, status, text, at)
        return
    _must_move(session, order, [target], [text], at, refunded_amount=refunded)
    if refund_cancels(status, fully_refunded):
        _emit_cancelled(session, order, "refund", "refunded in full before shipping", at)


def return_requested(session: Session, order_id: str, return_id: str, kind: str) -> None:
    """``ReturnRequested``: a timeline note; after-sales decides, refunds move the status."""
    order = _order(session, order_id, "ReturnRequested")
    _timeline(order, order.status, f"{kind} requested ({return_id})", now())


# -- timers (the worker's loop calls these with the current time) ------------------------


def cancel_overdue(db: Database, at: datetime, limit: int = TIMER_BATCH) -> int:
    """Cancel unpaid orders past their payment deadline; return how many were cancelled.

    Each order in its own transaction; one failing order is logged and skipped.
    """
    with db.read() as session:
        due = session.execute(
            select(Order.id, Order.status)
            .where(Order.status.in_(list(UNPAID)), Order.paid_at.is_(None),
                   Order.cash_on_delivery == false(), Order.payment_due_at <= at)
            .order_by(Order.payment_due_at)
            .limit(limit)
        ).all()
    return _count_moved("payment deadline cancel",
                        [(order_id, partial(cancel_if_overdue, db, order_id, status, at))
                         for order_id, status in due])


def _count_moved(what: str, steps: Sequence[tuple[str, Callable[[], bool]]]) -> int:
    """Run each order's step (its own transaction); log and skip one that fails."""
    moved = 0
    for order_id, step in steps:
        try:
            moved += step()
        except Exception:
            log.exception(f"{what} failed", extra={"order_id": order_id})
    return moved


def cancel_if_overdue(db: Database, order_id: str, expected: str, at: datetime) -> bool:
    """Cancel one order if it is still ``expected``, unpaid and overdue; False if it moved."""
    with db.transaction() as session:
        order = session.get(Order, order_id)
        if order is None:
            return False
        moved = _move(
            session, order, [OrderStatus.CANCELLED], ["not paid in time: cancelled"], at,
            expected=expected,
            where=(Order.paid_at.is_(None), Order.cash_on_delivery == false(),
                   Order.payment_due_at <= at),
        )
        if moved:
            _emit_cancelled(session, order, "payment_deadline", "not paid in time", at)
        return moved


def complete_delivered(db: Database, at: datetime, limit: int = TIMER_BATCH,
                       after_s: int | None = None) -> int:
    """Complete orders delivered more than ``ORDER_AUTO_COMPLETE_AFTER_S`` ago."""
    cutoff = auto_complete_cutoff(at, auto_complete_after_s() if after_s is None else after_s)
    with db.read() as session:
        ids = list(session.scalars(
            select(Order.id)
            .where(Order.status == OrderStatus.DELIVERED, Order.delivered_at <= cutoff)
            .order_by(Order.delivered_at)
            .limit(limit)
        ))
    return _count_moved("auto-complete",
                        [(order_id, partial(complete_if_delivered, db, order_id, cutoff, at))
                         for order_id in ids])


def complete_if_delivered(db: Database, order_id: str, cutoff: datetime, at: datetime) -> bool:
    with db.transaction() as session:
        order = session.get(Order, order_id)
        if order is None:
            return False
        moved = _move(session, order, [OrderStatus.COMPLETED],
                      ["completed automatically after delivery"], at,
                      expected=OrderStatus.DELIVERED, where=(Order.delivered_at <= cutoff,))
        if moved:
            _emit_completed(session, order, "auto", at)
        return moved


# -- prices --------------------------------------------------------------------------------


def record_prices(session: Session, skus: list[dict], updated_at: datetime,
                  product_id: int | None = None) -> None:
    """``ProductUpdated``: take the catalog's prices, unless what is stored is newer."""
    for sku in skus:
        current = session.get(SkuPrice, sku["sku"])
        if current is None:
            session.add(SkuPrice(sku=sku["sku"], amount=sku["price"]["amount"],
                                 currency=sku["price"]["currency"], product_id=product_id,
                                 updated_at=updated_at))
        elif current.updated_at is None or current.updated_at < updated_at:
            current.amount = sku["price"]["amount"]
            current.currency = sku["price"]["currency"]
            current.product_id = product_id
            current.updated_at = updated_at


def load_prices(db: Database, prices: dict[str, Price]) -> int:
    """Seed prices (the demo, tests) before the catalog has published any."""
    with db.transaction() as session:
        for sku, price in prices.items():
            session.merge(SkuPrice(sku=sku, amount=price.amount, currency=price.currency))
    return len(prices)
