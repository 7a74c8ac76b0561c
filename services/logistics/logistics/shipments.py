"""A shipment's life: made ready once per origin, its timeline, its delivery.

Every change of a shipment's status is a conditional UPDATE on the status it leaves, so a
repeated event, a concurrent admin or a repeated callback changes it once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from event_contracts.vocabulary import DeliveryMethod
from logistics.domain import (
    INTERCEPT_REQUESTED,
    ShipmentNotFound,
    ShipmentStatus,
    estimated_delivery,
    new_pickup_code,
    valid_id,
)
from logistics.models import Order, Shipment, TrackingEvent
from service_runtime.db import insert_if_absent
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.outbox import Outbox

outbox = Outbox("logistics")

DESCRIPTIONS = {
    ShipmentStatus.HELD: "Paid; waiting for the group buy to fill",
    ShipmentStatus.READY: "Paid; waiting to be shipped",
    ShipmentStatus.SHIPPED: "Handed to the carrier",
    ShipmentStatus.IN_TRANSIT: "In transit",
    ShipmentStatus.OUT_FOR_DELIVERY: "Out for delivery",
    ShipmentStatus.DELIVERED: "Delivered",
    ShipmentStatus.CANCELLED: "Cancelled with the order",
    INTERCEPT_REQUESTED: "Order cancelled after it shipped: the merchant intercepts it",
}




def create_shipment(session: Session, order: Order, origin: str, return_id: str | None,
                    at: datetime, cash_on_delivery: bool, lines: list | None,
                    transit_days: Mapping[str, int],
                    status: ShipmentStatus = ShipmentStatus.READY) -> str | None:
    """Insert a ``ready`` (or ``held``) shipment unless one of that origin exists; its id,
    or None."""
    method = order.delivery_method
    shipment_id = time_ordered_id("shp")
    if not insert_if_absent(
            session, Shipment,
            id=shipment_id, order_id=order.order_id, origin=origin, return_id=return_id,
            status=status, cash_on_delivery=cash_on_delivery, delivery_method=method,
            estimated_delivery=(estimated_delivery(method, at, transit_days)
                                if method is not None else None),
            pickup_code=new_pickup_code() if method == DeliveryMethod.PICKUP else None,
            lines=lines, ready_at=at, updated_at=utcnow()):
        return None  # the shipment of that origin exists
    description = DESCRIPTIONS[status]
    if return_id is not None:
        description = "Replacement for an exchange; waiting to be shipped"
    elif cash_on_delivery:
        description = "Cash on delivery; waiting to be shipped"
    add_to_timeline(session, shipment_id, status, description, at)
    return shipment_id


def deliver(session: Session, shipment: Shipment, at: datetime, from_statuses: Iterable[str]
            ) -> bool:
    """Deliver once: the conditional UPDATE that succeeds is the one that emits."""
    changed = session.execute(
        update(Shipment)
        .where(Shipment.id == shipment.id, Shipment.status.in_(tuple(from_statuses)))
        .values(status=ShipmentStatus.DELIVERED, delivered_at=at, updated_at=utcnow())
    ).rowcount
    if changed != 1:
        return False
    announce_delivered(session, shipment, at)
    return True


# An exchange's replacement parcel has events of its own, so that consumers of the
# order's parcel (stock turned into a sale, cash on delivery collected, the order's
# status) never mistake a replacement for it.

def announce_shipped(session: Session, shipment: Shipment, carrier: str, tracking_number: str,
                     at: datetime, eta: date) -> None:
    """``Shipped`` for the order's parcel, ``ReplacementShipped`` for an exchange's."""
    data = {"shipment_id": shipment.id, "order_id": shipment.order_id, "carrier": carrier,
            "tracking_number": tracking_number, "shipped_at": at.isoformat(),
            "estimated_delivery": eta.isoformat()}
    if shipment.return_id is None:
        outbox.emit(session, "Shipped", shipment.order_id, data)
    else:
        outbox.emit(session, "ReplacementShipped", shipment.order_id,
                    {**data, "return_id": shipment.return_id})


def announce_delivered(session: Session, shipment: Shipment, at: datetime) -> None:
    """``Delivered`` for the order's parcel, ``ReplacementDelivered`` for an exchange's."""
    data = {"shipment_id": shipment.id, "order_id": shipment.order_id,
            "delivered_at": at.isoformat()}
    if shipment.return_id is None:
        # ``return_id`` stays in Delivered v1 for its released consumers; always null.
        outbox.emit(session, "Delivered", shipment.order_id, {**data, "return_id": None})
    else:
        outbox.emit(session, "ReplacementDelivered", shipment.order_id,
                    {**data, "return_id": shipment.return_id})


def add_to_timeline(session: Session, shipment_id: str, status: str, description: str | None,
                    at: datetime, event_id: str | None = None, location: str | None = None) -> bool:
    """Add a timeline entry; False when the carrier event ``event_id`` is there already."""
    # Entries of our own (no event id) never collide: UNIQUE (shipment, event id) ignores NULLs.
    return insert_if_absent(session, TrackingEvent, shipment_id=shipment_id, event_id=event_id,
                            status=status, description=description, location=location, at=at,
                            recorded_at=utcnow())


def find_shipment(session: Session, shipment_id: str) -> Shipment:
    shipment = (session.get(Shipment, shipment_id, populate_existing=True)
                if valid_id(shipment_id, 40) else None)
    if shipment is None:
        raise ShipmentNotFound(f"no shipment {shipment_id[:60]!r}")
    return shipment
