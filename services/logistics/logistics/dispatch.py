"""The merchant's side: the shipments to send, shipping them, handing over at the pickup point."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from event_contracts.vocabulary import DeliveryMethod
from logistics.domain import (
    NotAPickup,
    NotAtPickupPoint,
    NotReady,
    ShipmentStatus,
    TrackingNumberInUse,
    WrongPickupCode,
    can_ship,
    check_carrier,
    estimated_delivery,
    pickup_code_matches,
)
from logistics.models import Shipment
from logistics.shipments import add_to_timeline, announce_shipped, deliver, find_shipment
from service_runtime.db import Database
from service_runtime.ids import utcnow
from service_runtime.paging import Page, page_of


def list_shipments(db: Database, order_id: str | None = None, status: str | None = None,
                   cursor: str | None = None, limit: int = 20,
                   intercept_requested: bool | None = None) -> Page[Shipment]:
    """Newest first; ``next_cursor`` is the last id of the page (ids sort by creation)."""
    with db.read() as session:
        query = select(Shipment).order_by(Shipment.id.desc()).limit(limit + 1)
        if order_id is not None:
            query = query.where(Shipment.order_id == order_id)
        if status is not None:
            query = query.where(Shipment.status == status)
        if intercept_requested is not None:
            query = query.where(Shipment.intercept_requested_at.is_not(None)
                                if intercept_requested else
                                Shipment.intercept_requested_at.is_(None))
        if cursor is not None:
            query = query.where(Shipment.id < cursor)
        return page_of(list(session.scalars(query.options(*_AS_THE_MERCHANT_SEES_IT))), limit)


def get_shipment(db: Database, shipment_id: str) -> Shipment:
    with db.read() as session:
        return _for_the_merchant(session, shipment_id)


def ship(db: Database, shipment_id: str, carrier: str, tracking_number: str,
         transit_days: Mapping[str, int]) -> Shipment:
    """``ready`` -> ``shipped`` with a carrier and tracking number, and ``Shipped``.

    The ETA is counted again from today. A pickup order goes by ``store`` (to the pickup
    point), every other by a carrier.
    """
    with db.transaction() as session:
        shipment = find_shipment(session, shipment_id)
        if not can_ship(shipment.status):
            raise NotReady(f"the shipment is {shipment.status}",
                          shipment_status=shipment.status)
        check_carrier(carrier, shipment.delivery_method)
        taken = session.scalar(select(Shipment.id).where(
            Shipment.carrier == carrier, Shipment.tracking_number == tracking_number))
        if taken is not None:
            raise TrackingNumberInUse(f"{carrier} {tracking_number} is used by another shipment")
        at = utcnow()
        eta = estimated_delivery(shipment.delivery_method, at, transit_days)
        try:
            changed = session.execute(
                update(Shipment)
                .where(Shipment.id == shipment_id, Shipment.status == ShipmentStatus.READY)
                .values(status=ShipmentStatus.SHIPPED, carrier=carrier,
                        tracking_number=tracking_number, shipped_at=at, estimated_delivery=eta,
                        updated_at=at)
            ).rowcount
        except IntegrityError as exc:  # a concurrent ship took the number first
            raise TrackingNumberInUse(f"{carrier} {tracking_number} is already used") from exc
        if changed != 1:
            raise NotReady("the shipment is no longer ready")
        where = ("Moved to the pickup point"
                 if shipment.delivery_method == DeliveryMethod.PICKUP else
                 f"Handed to {carrier.upper()}, tracking number {tracking_number}")
        add_to_timeline(session, shipment_id, ShipmentStatus.SHIPPED, where, at)
        announce_shipped(session, shipment, carrier, tracking_number, at, eta)
        return _for_the_merchant(session, shipment_id)


def collect(db: Database, shipment_id: str, pickup_code: str) -> Shipment:
    """The buyer collects a pickup order at the pickup point with their code: ``Delivered``."""
    with db.transaction() as session:
        shipment = find_shipment(session, shipment_id)
        if shipment.delivery_method != DeliveryMethod.PICKUP:
            raise NotAPickup("the shipment is delivered by a carrier")
        if shipment.status != ShipmentStatus.SHIPPED:
            raise NotAtPickupPoint(f"the shipment is {shipment.status}",
                                  shipment_status=shipment.status)
        if not pickup_code_matches(shipment.pickup_code, pickup_code):
            raise WrongPickupCode("ask the buyer for the code shown in their order")
        at = utcnow()
        if not deliver(session, shipment, at, (ShipmentStatus.SHIPPED,)):
            raise NotAtPickupPoint("the shipment was collected already")
        add_to_timeline(session, shipment_id, ShipmentStatus.DELIVERED,
                        "Collected at the pickup point", at)
        return _for_the_merchant(session, shipment_id)


# The merchant sees a shipment with its order's address and lines (never the pickup code).
_AS_THE_MERCHANT_SEES_IT = (selectinload(Shipment.order), selectinload(Shipment.timeline))


def _for_the_merchant(session: Session, shipment_id: str) -> Shipment:
    find_shipment(session, shipment_id)  # a 404 for an unknown id
    return session.scalars(
        select(Shipment).where(Shipment.id == shipment_id).options(*_AS_THE_MERCHANT_SEES_IT)
        .execution_options(populate_existing=True)).one()
