"""Tracking: carriers' signed callbacks move shipments on; buyers follow their order's parcels."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from logistics import carriers, metrics
from logistics.domain import (
    TRACKING,
    NotShipped,
    OrderNotFound,
    ShipmentStatus,
    UnknownTrackingNumber,
    accepts_tracking,
    valid_id,
)
from logistics.models import Order, Shipment
from logistics.shipments import DESCRIPTIONS, add_to_timeline, deliver
from service_runtime.db import Database
from service_runtime.ids import utcnow
from service_runtime.projections import move_forward


def check_callback(carrier: str, secrets: Mapping[str, str], timestamp: str | None,
                   signature: str | None, body: bytes, max_age_s: int) -> None:
    """Raise (401/404) unless the callback is fresh and signed by ``carrier``; counted."""
    try:
        carriers.verify(carrier, secrets, timestamp, signature, body, time.time(), max_age_s)
    except Exception:
        metrics.carrier_callback(
            carrier if carrier in carriers.CALLBACK_CARRIERS else "unknown", "refused")
        raise


def apply_tracking(db: Database, carrier: str, tracking_number: str,
                   events: Sequence[Mapping[str, Any]]) -> CallbackResult:
    """A verified carrier callback: each event once on the timeline, the status forward.

    ``delivered`` delivers the shipment and announces it the first time only.
    """
    with db.transaction() as session:
        shipment = session.scalar(select(Shipment).where(
            Shipment.carrier == carrier, Shipment.tracking_number == tracking_number))
        if shipment is None:
            raise UnknownTrackingNumber(f"no {carrier} shipment {tracking_number}")
        if not accepts_tracking(shipment.status):
            raise NotShipped(f"the shipment is {shipment.status}",
                            shipment_status=shipment.status)
        applied = 0
        for event in sorted(events, key=lambda e: e["at"]):
            if not add_to_timeline(session, shipment.id, event["status"],
                                   event.get("description") or DESCRIPTIONS[event["status"]],
                                   event["at"], event["event_id"], event.get("location")):
                continue  # applied before
            applied += 1
            if event["status"] == ShipmentStatus.DELIVERED:
                deliver(session, shipment, event["at"], TRACKING.before(ShipmentStatus.DELIVERED))
            else:
                move_forward(session, Shipment.status, TRACKING, event["status"],
                             Shipment.id == shipment.id, updated_at=utcnow())
        status = session.scalar(select(Shipment.status).where(Shipment.id == shipment.id))
    metrics.carrier_callback(carrier, "applied")
    return CallbackResult(shipment.id, status, applied, len(events) - applied)


@dataclass(frozen=True)
class CallbackResult:
    shipment_id: str
    status: str
    applied: int  # events recorded now
    duplicates: int  # events recorded before, ignored


@dataclass(frozen=True)
class OrderTracking:
    order_id: str
    shipments: list[Shipment]  # with their timelines


def track_order(db: Database, user_id: str, order_id: str) -> OrderTracking:
    """The order's shipments with their timelines, for the order's owner only."""
    with db.read() as session:
        order = session.get(Order, order_id) if valid_id(order_id) else None
        if order is None or order.user_id != user_id:
            raise OrderNotFound(f"no order {order_id[:100]!r}")
        shipments = list(session.scalars(
            select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
            .options(selectinload(Shipment.timeline))))
        return OrderTracking(order_id, shipments)
