"""The buyer's own orders: read one, list them, cancel one, confirm receipt.

Someone else's order is reported as not found.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from event_contracts.events.order import CancelledBy, CompletedBy
from order.domain import OrderChanged, OrderStatus, check_buyer_cancel, check_confirm_receipt
from order.events import publish_order_cancelled, publish_order_completed
from order.models import Order
from order.status_changes import move_if_unchanged
from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.ids import utcnow as now
from service_runtime.paging import Page, page_of


def _buyers_order(session: Session, user_id: str, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound(f"no order {order_id}")
    return order


def get_order(db: Database, user_id: str, order_id: str) -> Order:
    """The caller's order."""
    with db.read() as session:
        return _buyers_order(session, user_id, order_id)


def list_orders(db: Database, user_id: str, limit: int, cursor: str | None,
                status: OrderStatus | None = None) -> Page[Order]:
    """The caller's orders (only those in ``status``, if given), newest first, ``limit`` at
    a time, after ``cursor`` (the previous page's ``next_cursor``)."""
    with db.read() as session:
        query = select(Order).where(Order.user_id == user_id)
        if cursor:
            query = query.where(Order.id < cursor)
        if status:
            query = query.where(Order.status == status)
        rows = list(session.scalars(query.order_by(Order.id.desc()).limit(limit + 1)))
    return page_of(rows, limit)


def cancel_order(db: Database, user_id: str, order_id: str, reason: str | None) -> Order:
    """The buyer cancels before shipping: ``OrderCancelled(buyer)`` releases the stock and
    makes the payment service refund whatever was paid. A second cancel is a 409."""
    with db.transaction() as session:
        order = _buyers_order(session, user_id, order_id)
        check_buyer_cancel(OrderStatus(order.status))
        at = now()
        text = reason or "cancelled by the buyer"
        if not move_if_unchanged(session, order, [OrderStatus.CANCELLED],
                                 [f"cancelled by the buyer: {text}"], at):
            raise OrderChanged("the order changed meanwhile; look at it again")
        publish_order_cancelled(session, order, CancelledBy.BUYER, text, at)
        return order


def confirm_receipt(db: Database, user_id: str, order_id: str) -> Order:
    """The buyer has the goods: the order completes (``OrderCompleted(buyer)``)."""
    with db.transaction() as session:
        order = _buyers_order(session, user_id, order_id)
        check_confirm_receipt(OrderStatus(order.status))
        at = now()
        if not move_if_unchanged(session, order, [OrderStatus.COMPLETED],
                                 ["the buyer confirmed receipt"], at):
            raise OrderChanged("the order changed meanwhile; look at it again")
        publish_order_completed(session, order, CompletedBy.BUYER, at)
        return order
