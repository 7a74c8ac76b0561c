"""The after-sales copy of each order, kept from order, payment and logistics events.

Written only by the event handlers (the consumer's session, never committed here). Events
of different topics arrive in any order, so every handler upserts what it learns and
moves an order's status only forward (``domain.statuses_before``) with conditional updates.
Returns, reviews and tickets check a buyer's order against this copy (``own_order``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from aftersales.domain import (
    REFUNDABLE_FROM,
    BoughtLine,
    OrderFacts,
    OrderNotFound,
    OrderStatus,
    ReturnStatus,
    statuses_before,
)
from aftersales.models import OrderLine, OrderView, ReturnRequest
from aftersales.timeline import add_step, step_once
from service_runtime.db import insert_if_absent
from service_runtime.ids import utcnow as now

log = logging.getLogger(__name__)


def _ensure_order(session: Session, order_id: str, user_id: str | None = None) -> None:
    """The order's row exists afterwards (created ``pending`` if this is its first event)."""
    inserted = insert_if_absent(session, OrderView, order_id=order_id, user_id=user_id,
                                status=OrderStatus.PENDING.value, refunded_amount=0,
                                updated_at=now())
    if not inserted and user_id is not None:
        session.execute(update(OrderView)
                        .where(OrderView.order_id == order_id, OrderView.user_id.is_(None))
                        .values(user_id=user_id))


def _advance(session: Session, order_id: str, status: OrderStatus) -> bool:
    """Move the order to ``status`` unless it is there or further already."""
    return session.execute(
        update(OrderView)
        .where(OrderView.order_id == order_id, OrderView.status.in_(statuses_before(status)))
        .values(status=status.value, updated_at=now())
    ).rowcount == 1


def record_order_placed(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderPlaced``: the buyer, the lines and prices; once (a row with ``placed_at``
    set has its lines already)."""
    order_id = data["order_id"]
    _ensure_order(session, order_id, data["user_id"])
    placed = session.execute(
        update(OrderView)
        .where(OrderView.order_id == order_id, OrderView.placed_at.is_(None))
        .values(placed_at=data["placed_at"], currency=data["total"]["currency"],
                updated_at=now())
    ).rowcount
    if placed != 1:
        return
    session.execute(insert(OrderLine), [
        {"order_id": order_id, "line_no": number, "sku": line["sku"],
         "product_id": line.get("product_id"), "quantity": line["quantity"],
         "unit_amount": line["unit_price"]["amount"]}
        for number, line in enumerate(data["lines"], start=1)
    ])


def record_paid(session: Session, data: Mapping[str, Any]) -> None:
    """``PaymentConfirmed``."""
    _ensure_order(session, data["order_id"], data["user_id"])
    _advance(session, data["order_id"], OrderStatus.PAID)


def record_shipped(session: Session, data: Mapping[str, Any]) -> None:
    """``Shipped``: the order is on its way; a replacement shipment (``return_id`` set)
    only shows on its exchange request's timeline."""
    if data.get("return_id"):
        step_once(session, data["return_id"], "replacement_shipped", data["shipped_at"],
                  f"{data['carrier']} {data['tracking_number']}")
        return
    _ensure_order(session, data["order_id"])
    _advance(session, data["order_id"], OrderStatus.SHIPPED)


def record_delivered(session: Session, data: Mapping[str, Any]) -> None:
    """``Delivered``: the return window starts at ``delivered_at``."""
    if data.get("return_id"):
        step_once(session, data["return_id"], "replacement_delivered", data["delivered_at"])
        return
    order_id = data["order_id"]
    _ensure_order(session, order_id)
    session.execute(update(OrderView)
                    .where(OrderView.order_id == order_id, OrderView.delivered_at.is_(None))
                    .values(delivered_at=data["delivered_at"]))
    _advance(session, order_id, OrderStatus.DELIVERED)


def record_completed(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderCompleted``."""
    order_id = data["order_id"]
    _ensure_order(session, order_id, data["user_id"])
    session.execute(update(OrderView)
                    .where(OrderView.order_id == order_id, OrderView.completed_at.is_(None))
                    .values(completed_at=data["completed_at"]))
    _advance(session, order_id, OrderStatus.COMPLETED)


def record_cancelled(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderCancelled``: no returns or reviews any more."""
    _ensure_order(session, data["order_id"], data["user_id"])
    _advance(session, data["order_id"], OrderStatus.CANCELLED)


def record_refund(session: Session, data: Mapping[str, Any]) -> None:
    """``RefundIssued``: the order's refunded total (only ever grows), and the request it
    settles, if any, becomes ``refunded``."""
    order_id = data["order_id"]
    _ensure_order(session, order_id, data["user_id"])
    total = data["refunded_total"]["amount"]
    session.execute(update(OrderView)
                    .where(OrderView.order_id == order_id, OrderView.refunded_amount < total)
                    .values(refunded_amount=total))
    return_id = data.get("return_id")
    if not return_id:
        return
    at = data["issued_at"]
    settled = session.execute(
        update(ReturnRequest)
        .where(ReturnRequest.id == return_id, ReturnRequest.status.in_(REFUNDABLE_FROM))
        .values(status=ReturnStatus.REFUNDED.value,
                refunded_amount=ReturnRequest.refunded_amount + data["amount"]["amount"],
                updated_at=now())
    ).rowcount
    if settled != 1:
        log.warning("refund for a request that is unknown or not awaiting a refund",
                    extra={"return_id": return_id, "refund_id": data["refund_id"]})
        return
    add_step(session, return_id, ReturnStatus.REFUNDED.value, at,
             f"{data['amount']['amount']} {data['amount']['currency']} "
             f"to {data['destination']}")


def _facts(session: Session, order: OrderView) -> OrderFacts:
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.order_id)
                            .order_by(OrderLine.line_no))
    return OrderFacts(
        order_id=order.order_id, user_id=order.user_id or "", status=order.status,
        currency=order.currency or "CNY",
        lines=tuple(BoughtLine(line.sku, line.quantity, line.unit_amount, line.product_id)
                    for line in lines),
        delivered_at=order.delivered_at, completed_at=order.completed_at)


def own_order(session: Session, user_id: str, order_id: str, lock: bool = False) -> OrderFacts:
    """The caller's order as placed (someone else's, or one not known yet, is a 404).

    With ``lock`` the order's row is touched first, queueing concurrent requests on it.
    """
    mine = (OrderView.order_id == order_id, OrderView.user_id == user_id,
            OrderView.placed_at.is_not(None))
    if lock:
        session.execute(update(OrderView).where(*mine).values(updated_at=now())
                        .execution_options(synchronize_session=False))
    order = session.scalar(select(OrderView).where(*mine)
                           .execution_options(populate_existing=True))
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return _facts(session, order)
