"""What the order service tells others: one function per event, each building its
payload from the order and adding it to the outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from event_contracts.events.order import CancelledBy, CompletedBy
from order import metrics
from order.domain import note
from order.models import Order, OrderLine
from service_runtime.outbox import Outbox

outbox = Outbox("order")


def publish_order_placed(session: Session, order: Order) -> None:
    """``OrderPlaced``: what was ordered at which prices, where to, and until when it may
    be paid (the catalog reserves stock, the payment service expects the money)."""
    currency = order.currency
    outbox.emit(session, "OrderPlaced", key=order.id, data={
        "order_id": order.id,
        "user_id": order.user_id,
        "lines": [
            {"sku": line.sku, "quantity": line.quantity,
             "unit_price": {"amount": line.unit_amount, "currency": currency},
             "product_id": line.product_id, **_line_share(line, currency)}
            for line in order.lines
        ],
        "total": {"amount": order.total_amount, "currency": currency},
        "delivery_method": order.delivery_method,
        "address_id": order.address_id,
        "shipping_address": order.shipping_address,
        "placed_at": order.created_at.isoformat(),
        "payment_due_at": order.payment_due_at.isoformat() if order.payment_due_at else None,
        "coupon_code": order.coupon_code,
        **_breakdown(order),
        **({"campaign": order.campaign} if order.campaign else {}),
    })
    metrics.order_placed(session, order)


def _breakdown(order: Order) -> dict:
    """The quote's breakdown, on orders priced by it (none on older orders)."""
    if order.discount_total is None:
        return {}
    return {
        "discount_total": {"amount": order.discount_total, "currency": order.currency},
        "shipping": {"amount": order.shipping_amount or 0, "currency": order.currency},
        "adjustments": list(order.adjustments or []),
        "user_coupon_id": order.user_coupon_id,
        "points_used": order.points_used or 0,
    }


def _line_share(line: OrderLine, currency: str) -> dict:
    if line.payable_amount is None:
        return {}
    return {"payable": {"amount": line.payable_amount, "currency": currency},
            "points": line.points or 0}


def publish_order_cancelled(session: Session, order: Order, by: CancelledBy, reason: str,
                            at: datetime) -> None:
    """``OrderCancelled``: the catalog releases the stock, the payment service refunds what
    was paid, logistics stops the shipment."""
    outbox.emit(session, "OrderCancelled", key=order.id, data={
        "order_id": order.id,
        "user_id": order.user_id,
        "reason": note(reason),
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in order.lines],
        "cancelled_at": at.isoformat(),
        "cancelled_by": by.value,
    })
    metrics.order_cancelled(session, by.value)


def publish_order_completed(session: Session, order: Order, by: CompletedBy,
                            at: datetime) -> None:
    """``OrderCompleted``: the buyer confirmed receipt, or it completed itself."""
    outbox.emit(session, "OrderCompleted", key=order.id, data={
        "order_id": order.id, "user_id": order.user_id, "completed_by": by.value,
        "completed_at": at.isoformat(),
    })
