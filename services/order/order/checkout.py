"""Placing an order: priced from this service's own price list, stored ``pending`` with its
``OrderPlaced`` event in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import select

from order.domain import (
    OrderStatus,
    RequestedLine,
    order_total,
    payment_deadline,
    price_lines,
)
from order.events import publish_order_placed
from order.models import Order, OrderLine, OrderTimelineEntry, SkuPrice
from service_runtime.db import Database
from service_runtime.errors import InvalidInput
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.money import Money


def place_order(
    db: Database,
    user_id: str,
    lines: Sequence[RequestedLine] | None,
    delivery_method: str,
    address_id: str,
    idempotency_key: IdempotencyKey | None,
    read_address: Callable[[str], Mapping[str, str | None]],
    *,
    payment_timeout_s: int,
    coupon_code: str | None = None,
    read_cart: Callable[[], Sequence[RequestedLine]] | None = None,
) -> tuple[Order, bool]:
    """Store a ``pending`` order and its ``OrderPlaced`` event together; return (order, created).

    The order keeps a copy of the caller's address ``address_id`` (``read_address``) and,
    without ``lines``, takes what to order from the caller's cart (``read_cart``); both are
    read outside any transaction and only when the order is really created. Prices always
    come from the local price list. Unpaid after ``payment_timeout_s``, the order is
    cancelled (``order.deadlines``). A repeated ``Idempotency-Key`` returns the first order;
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
            priced = price_lines(wanted, {sku: Money(p.amount, p.currency)
                                          for sku, p in known.items()})
            total = order_total(priced)
            at = now()
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
                payment_due_at=payment_deadline(at, payment_timeout_s),
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
            publish_order_placed(session, order)
        return order

    return create_once(db, Order, user_id, idempotency_key, create)
