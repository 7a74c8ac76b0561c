"""What the order's events do to its shipments (the consumer's session, never committed here).

Events of different topics arrive in any order: the order's copy is made by whichever comes
first (``ORDERS``, a runtime projection), and each event adds what it teaches. A payment
may create the shipment before ``OrderPlaced`` told the delivery method; the shipment then
gets its method, ETA and pickup code when the order arrives."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.vocabulary import DeliveryMethod
from logistics import metrics
from logistics.domain import (
    INTERCEPT_REQUESTED,
    ORDER_ORIGIN,
    UNDER_WAY,
    ShipmentStatus,
    estimated_delivery,
    new_pickup_code,
    origin_of_return,
)
from logistics.group_holds import shipment_status_for
from logistics.models import Order, Shipment
from logistics.shipments import (
    DESCRIPTIONS,
    add_to_timeline,
    create_shipment,
)
from service_runtime.ids import utcnow
from service_runtime.projections import Projection

log = logging.getLogger(__name__)

ORDERS = Projection(Order, "order_id")


def record_order(session: Session, data: Mapping[str, Any],
                 transit_days: Mapping[str, int]) -> None:
    """``OrderPlaced``: remember the order; shipments made before it learn their method."""
    order_id = data["order_id"]
    ORDERS.ensure(session, order_id)
    session.execute(
        update(Order).where(Order.order_id == order_id).values(
            user_id=data["user_id"],
            delivery_method=data["delivery_method"],
            address_id=data.get("address_id"),
            shipping_address=data.get("shipping_address"),
            lines=[{"sku": line["sku"], "quantity": line["quantity"]} for line in data["lines"]],
            placed_at=data["placed_at"],
            updated_at=utcnow(),
        )
    )
    method = data["delivery_method"]
    waiting = session.execute(
        select(Shipment.id, Shipment.ready_at)
        .where(Shipment.order_id == order_id, Shipment.delivery_method.is_(None))
    ).all()
    for shipment_id, ready_at in waiting:
        session.execute(
            update(Shipment)
            .where(Shipment.id == shipment_id, Shipment.delivery_method.is_(None))
            .values(delivery_method=method,
                    estimated_delivery=estimated_delivery(method, ready_at, transit_days),
                    pickup_code=new_pickup_code() if method == DeliveryMethod.PICKUP else None,
                    updated_at=utcnow())
        )


def prepare_shipment(session: Session, order_id: str, user_id: str, at: datetime,
                     cash_on_delivery: bool, transit_days: Mapping[str, int],
                     group_id: str | None = None) -> None:
    """``PaymentConfirmed`` / ``CashOnDeliveryChosen``: the order's one shipment, ``ready``
    (``held`` for a group-buy order whose group has not succeeded yet: ``group_holds``).

    A cancelled order gets none (payment refunds it). A payment after the shipment exists
    (a cash-on-delivery order confirmed paid on delivery, a duplicate) creates nothing;
    an online payment of a cash-on-delivery order not yet delivered clears the
    collect-cash flag, so the courier does not take the money a second time.
    """
    ORDERS.ensure(session, order_id, user_id=user_id)
    order = session.get(Order, order_id, populate_existing=True)
    assert order is not None
    if order.cancelled_at is not None:
        return
    created = create_shipment(session, order, ORDER_ORIGIN, None, at, cash_on_delivery, None,
                              transit_days, shipment_status_for(session, group_id))
    if created is None and not cash_on_delivery:
        session.execute(
            update(Shipment)
            .where(Shipment.order_id == order_id, Shipment.origin == ORDER_ORIGIN,
                   Shipment.cash_on_delivery.is_(True),
                   Shipment.status.not_in((ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)))
            .values(cash_on_delivery=False, updated_at=utcnow())
        )


def cancel_order(session: Session, order_id: str, user_id: str, at: datetime) -> None:
    """``OrderCancelled``: a ``ready`` (or ``held``) shipment is cancelled; a payment
    arriving later makes none.

    The buyer may cancel until the order service has seen ``Shipped``, so the merchant
    may have shipped a moment before this arrives: the order's parcel under way is then
    marked for interception (once), for the merchant's console and a metric, since its
    money is being refunded.
    """
    ORDERS.ensure(session, order_id, user_id=user_id)
    ORDERS.learn(session, order_id, "cancelled_at", at)
    waiting = (ShipmentStatus.READY, ShipmentStatus.HELD)
    ready = session.scalars(select(Shipment.id).where(
        Shipment.order_id == order_id, Shipment.status.in_(waiting))).all()
    for shipment_id in ready:
        # Goods that left the warehouse are not called back: only a ``ready`` one cancels.
        changed = session.execute(
            update(Shipment)
            .where(Shipment.id == shipment_id, Shipment.status.in_(waiting))
            .values(status=ShipmentStatus.CANCELLED, cancelled_at=at, updated_at=utcnow())
        ).rowcount
        if changed == 1:
            add_to_timeline(session, shipment_id, ShipmentStatus.CANCELLED,
                            DESCRIPTIONS[ShipmentStatus.CANCELLED], at)
    under_way = session.scalars(
        select(Shipment.id).where(Shipment.order_id == order_id,
                                  Shipment.origin == ORDER_ORIGIN,
                                  Shipment.status.in_(UNDER_WAY))
    ).all()
    for shipment_id in under_way:
        marked = session.execute(
            update(Shipment).where(Shipment.id == shipment_id,
                                   Shipment.intercept_requested_at.is_(None))
            .values(intercept_requested_at=at, updated_at=utcnow())
        ).rowcount
        if marked == 1:
            add_to_timeline(session, shipment_id, INTERCEPT_REQUESTED,
                            DESCRIPTIONS[INTERCEPT_REQUESTED], at)
            metrics.intercept_requested()
            log.warning("order cancelled after its parcel left; intercept it",
                        extra={"order_id": order_id, "shipment_id": shipment_id})


def prepare_replacement(session: Session, data: Mapping[str, Any],
                        transit_days: Mapping[str, int]) -> None:
    """``ReturnReceived`` of an exchange: a replacement shipment of the returned lines.

    Its origin is the return, so a repeated event makes no second one.
    """
    ORDERS.ensure(session, data["order_id"], user_id=data["user_id"])
    order = session.get(Order, data["order_id"], populate_existing=True)
    assert order is not None
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in data["lines"]]
    create_shipment(session, order, origin_of_return(data["return_id"]), data["return_id"],
                    data["received_at"], False, lines, transit_days)
