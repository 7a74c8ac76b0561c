"""The merchant's view of every order: find them (by status, buyer, id), read one with
its timeline."""

from __future__ import annotations

from sqlalchemy import select

from order.domain import OrderStatus
from order.models import Order
from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.paging import Page, page_of


def find_orders(db: Database, limit: int, cursor: str | None, *,
                status: OrderStatus | None = None, user_id: str | None = None,
                order_id: str | None = None) -> Page[Order]:
    """Orders newest first, ``limit`` at a time after ``cursor``; only those in ``status``,
    of buyer ``user_id``, or whose id starts with ``order_id`` (what an operator types from
    a customer's message), when given."""
    with db.read() as session:
        query = select(Order)
        if cursor:
            query = query.where(Order.id < cursor)
        if status:
            query = query.where(Order.status == status)
        if user_id:
            query = query.where(Order.user_id == user_id)
        if order_id:
            # An id prefix: the primary key's index answers it (ids are time-ordered).
            query = query.where(Order.id >= order_id, Order.id < order_id + "\U0010ffff")
        rows = list(session.scalars(query.order_by(Order.id.desc()).limit(limit + 1)))
    return page_of(rows, limit)


def any_order(db: Database, order_id: str) -> Order:
    with db.read() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFound(f"no order {order_id}")
        return order
