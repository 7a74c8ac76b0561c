"""Order use cases: one function per command, one transaction each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from order.domain import (
    OrderStatus,
    Price,
    RequestedLine,
    check_transition,
    order_total,
    price_lines,
)
from order.models import Order, OrderLine, OrderTimelineEntry, SkuPrice
from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.idempotency import create_once
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox

outbox = Outbox("order")


def place_order(
    db: Database,
    user_id: str,
    lines: Sequence[RequestedLine],
    delivery_method: str,
    address_id: str | None,
    idempotency_key: str | None,
) -> tuple[Order, bool]:
    """Store the order and its ``OrderPlaced`` event together; return (order, created).

    A repeated ``Idempotency-Key`` returns the order it created the first time.
    """

    def create() -> Order:
        with db.transaction() as session:
            prices = {
                p.sku: Price(p.amount, p.currency)
                for p in session.scalars(
                    select(SkuPrice).where(SkuPrice.sku.in_([line.sku for line in lines]))
                )
            }
            priced = price_lines(lines, prices)
            total = order_total(priced)
            at = now()
            order = Order(
                id=time_ordered_id("ord"),
                user_id=user_id,
                # No stock step exists yet: an order awaits payment at once.
                status=OrderStatus.AWAITING_PAYMENT,
                total_amount=total.amount,
                currency=total.currency,
                delivery_method=delivery_method,
                address_id=address_id,
                idempotency_key=idempotency_key,
                created_at=at,
                updated_at=at,
                lines=[
                    OrderLine(position=i, sku=line.sku, quantity=line.quantity,
                              unit_amount=line.unit_price.amount)
                    for i, line in enumerate(priced)
                ],
                timeline=[
                    OrderTimelineEntry(status=OrderStatus.AWAITING_PAYMENT,
                                       note="order placed", at=at)
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
                                    "currency": line.unit_price.currency}}
                    for line in priced
                ],
                "total": {"amount": total.amount, "currency": total.currency},
                "delivery_method": delivery_method,
                "address_id": address_id,
                "placed_at": at.isoformat(),
            })
        return order

    return create_once(db, Order, user_id, idempotency_key, create)


def get_order(db: Database, user_id: str, order_id: str) -> Order:
    """The caller's order; someone else's order is reported as not found."""
    with db.read() as session:
        order = session.get(Order, order_id)
        if order is None or order.user_id != user_id:
            raise NotFound(f"no order {order_id}")
        return order


def list_orders(db: Database, user_id: str, limit: int, before: str | None) -> list[Order]:
    """The caller's orders, newest first, ``limit`` at a time, after the cursor ``before``."""
    with db.read() as session:
        query = select(Order).where(Order.user_id == user_id)
        if before:
            query = query.where(Order.id < before)
        return list(session.scalars(query.order_by(Order.id.desc()).limit(limit)))


def mark_paid(session: Session, order_id: str, payment_id: str) -> None:
    """``PaymentConfirmed``: the order becomes paid (once; a late duplicate changes nothing)."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"payment {payment_id} confirms unknown order {order_id}")
    if order.status == OrderStatus.PAID:
        return
    check_transition(OrderStatus(order.status), OrderStatus.PAID)
    at = now()
    changed = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == order.status)
        .values(status=OrderStatus.PAID, updated_at=at)
    ).rowcount
    if changed != 1:
        raise RuntimeError(f"order {order_id} changed concurrently; retrying")
    session.add(OrderTimelineEntry(order_id=order_id, status=OrderStatus.PAID,
                                   note=f"payment {payment_id} confirmed", at=at))


def record_prices(session: Session, skus: list[dict], updated_at: datetime) -> None:
    """``ProductUpdated``: take the catalog's prices, unless what is stored is newer."""
    for sku in skus:
        current = session.get(SkuPrice, sku["sku"])
        if current is None:
            session.add(SkuPrice(sku=sku["sku"], amount=sku["price"]["amount"],
                                 currency=sku["price"]["currency"], updated_at=updated_at))
        elif current.updated_at is None or current.updated_at < updated_at:
            current.amount = sku["price"]["amount"]
            current.currency = sku["price"]["currency"]
            current.updated_at = updated_at


def load_prices(db: Database, prices: dict[str, Price]) -> int:
    with db.transaction() as session:
        for sku, price in prices.items():
            session.merge(SkuPrice(sku=sku, amount=price.amount, currency=price.currency))
    return len(prices)
