"""The after-sales copy of each order, kept from order, payment and logistics events.

Written only by the event handlers (the consumer's session, never committed here). Events
of different topics arrive in any order: the copy is a runtime projection (``ORDERS``),
made by whichever event comes first, its facts learnt once, its progress only forward.
Returns, reviews and tickets check a buyer's order against this copy (``own_order``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from aftersales.domain import (
    ORDER_PROGRESS,
    REFUNDABLE_FROM,
    BoughtLine,
    OrderFacts,
    OrderNotFound,
    OrderProgress,
    ReturnStatus,
    TimelineStep,
)
from aftersales.models import OrderLine, OrderView, ReturnRequest
from aftersales.timeline import add_step, step_once
from service_runtime.ids import utcnow as now
from service_runtime.projections import Projection

log = logging.getLogger(__name__)

ORDERS = Projection(OrderView, "order_id", ORDER_PROGRESS)


def record_order_placed(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderPlaced``: the buyer, the lines and prices; once (a copy with ``placed_at``
    set has its lines already)."""
    order_id = data["order_id"]
    ORDERS.ensure(session, order_id, user_id=data["user_id"])
    if not ORDERS.learn(session, order_id, "placed_at", data["placed_at"],
                        currency=data["total"]["currency"]):
        return
    session.execute(insert(OrderLine), [
        {"order_id": order_id, "line_no": number, "sku": line["sku"],
         "product_id": line.get("product_id"), "quantity": line["quantity"],
         "unit_amount": line["unit_price"]["amount"],
         "payable_amount": (line.get("payable") or {}).get("amount")}
        for number, line in enumerate(data["lines"], start=1)
    ])


def record_paid(session: Session, data: Mapping[str, Any]) -> None:
    """``PaymentConfirmed``."""
    ORDERS.ensure(session, data["order_id"], user_id=data["user_id"])
    ORDERS.advance(session, data["order_id"], OrderProgress.PAID)


def record_shipped(session: Session, data: Mapping[str, Any]) -> None:
    """``Shipped``: the order's parcel is on its way."""
    ORDERS.ensure(session, data["order_id"])
    ORDERS.advance(session, data["order_id"], OrderProgress.SHIPPED)


def record_delivered(session: Session, data: Mapping[str, Any]) -> None:
    """``Delivered``: the return window starts at ``delivered_at``."""
    order_id = data["order_id"]
    ORDERS.ensure(session, order_id)
    ORDERS.learn(session, order_id, "delivered_at", data["delivered_at"])
    ORDERS.advance(session, order_id, OrderProgress.DELIVERED)


def record_replacement_shipped(session: Session, data: Mapping[str, Any]) -> None:
    """``ReplacementShipped``: shown on its exchange request's timeline only."""
    step_once(session, data["return_id"], TimelineStep.REPLACEMENT_SHIPPED, data["shipped_at"],
              f"{data['carrier']} {data['tracking_number']}")


def record_replacement_delivered(session: Session, data: Mapping[str, Any]) -> None:
    """``ReplacementDelivered``: shown on its exchange request's timeline only."""
    step_once(session, data["return_id"], TimelineStep.REPLACEMENT_DELIVERED,
              data["delivered_at"])


def record_completed(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderCompleted``."""
    order_id = data["order_id"]
    ORDERS.ensure(session, order_id, user_id=data["user_id"])
    ORDERS.learn(session, order_id, "completed_at", data["completed_at"])
    ORDERS.advance(session, order_id, OrderProgress.COMPLETED)


def record_cancelled(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderCancelled``: no returns or reviews any more."""
    ORDERS.ensure(session, data["order_id"], user_id=data["user_id"])
    ORDERS.advance(session, data["order_id"], OrderProgress.CANCELLED)


def record_refund(session: Session, data: Mapping[str, Any]) -> None:
    """``RefundIssued``: the order's refunded total (only ever grows), and the request it
    settles, if any, becomes ``refunded``."""
    order_id = data["order_id"]
    ORDERS.ensure(session, order_id, user_id=data["user_id"])
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
        lines=tuple(BoughtLine(line.sku, line.quantity, line.unit_amount, line.product_id,
                               line.payable_amount)
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
