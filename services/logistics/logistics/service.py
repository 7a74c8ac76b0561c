"""Logistics use cases: one function per command or event, one transaction each.

Commands open their own transaction (``db.transaction()``) and write state, timeline and
outbox rows together. Event use cases get the consumer's session (the inbox row is in
the same transaction) and never commit.

Events of different topics arrive in any order, so each one upserts what it teaches:
a payment may create the shipment before ``OrderPlaced`` told the delivery method; the
shipment then gets its method, ETA and pickup code when the order arrives. Every change
of a shipment's status is a conditional UPDATE on the status it leaves, so a repeated
event, a concurrent admin or a repeated callback changes it once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from logistics import carriers
from logistics.domain import (
    CANCELLED,
    DEFAULT_TRANSIT_DAYS,
    DELIVERED,
    INTERCEPT_REQUESTED,
    ORDER_ORIGIN,
    PICKUP,
    READY,
    SHIPPED,
    UNDER_WAY,
    NotAPickup,
    NotAtPickupPoint,
    NotReady,
    NotShipped,
    OrderNotFound,
    ShipmentNotFound,
    TrackingNumberInUse,
    UnknownTrackingNumber,
    WrongPickupCode,
    accepts_tracking,
    can_ship,
    check_carrier,
    estimated_delivery,
    new_pickup_code,
    origin_of_return,
    pickup_code_matches,
    statuses_before,
    valid_id,
)
from logistics.models import Order, Shipment, TrackingEvent
from service_runtime.config import env_int
from service_runtime.db import Database, insert_if_absent
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.outbox import Outbox

outbox = Outbox("logistics")

log = logging.getLogger(__name__)

INTERCEPTS_REQUESTED = Counter(
    "logistics_intercepts_requested_total",
    "Parcels under way whose order was cancelled (and refunded) after they left",
    ["service"],
)
CARRIER_CALLBACKS = Counter(
    "logistics_carrier_callbacks_total",
    "Carrier tracking callbacks, by carrier and outcome (applied, refused)",
    ["carrier", "outcome"],
)

DESCRIPTIONS = {
    READY: "Paid; waiting to be shipped",
    SHIPPED: "Handed to the carrier",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    DELIVERED: "Delivered",
    CANCELLED: "Cancelled with the order",
    INTERCEPT_REQUESTED: "Order cancelled after it shipped: the merchant intercepts it",
}


def transit_days() -> dict[str, int]:
    """Days from shipping to delivery per method; ``TRANSIT_DAYS_<METHOD>`` overrides."""
    return {method: env_int(f"TRANSIT_DAYS_{method.upper()}", days)
            for method, days in DEFAULT_TRANSIT_DAYS.items()}


# -- events ---------------------------------------------------------------------------


def record_order(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderPlaced``: remember the order; shipments made before it learn their method."""
    order_id = data["order_id"]
    _ensure_order(session, order_id, None)
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
    days = transit_days()
    waiting = session.execute(
        select(Shipment.id, Shipment.ready_at)
        .where(Shipment.order_id == order_id, Shipment.delivery_method.is_(None))
    ).all()
    for shipment_id, ready_at in waiting:
        session.execute(
            update(Shipment)
            .where(Shipment.id == shipment_id, Shipment.delivery_method.is_(None))
            .values(delivery_method=method,
                    estimated_delivery=estimated_delivery(method, ready_at, days),
                    pickup_code=new_pickup_code() if method == PICKUP else None,
                    updated_at=utcnow())
        )


def prepare_shipment(session: Session, order_id: str, user_id: str, at: datetime,
                     cash_on_delivery: bool) -> None:
    """``PaymentConfirmed`` / ``CashOnDeliveryChosen``: the order's one shipment, ``ready``.

    A cancelled order gets none (payment refunds it). A payment after the shipment exists
    (a cash-on-delivery order confirmed paid on delivery, a duplicate) creates nothing;
    an online payment of a cash-on-delivery order not yet delivered clears the
    collect-cash flag, so the courier does not take the money a second time.
    """
    _ensure_order(session, order_id, user_id)
    order = session.get(Order, order_id, populate_existing=True)
    assert order is not None
    if order.cancelled_at is not None:
        return
    created = _create_shipment(session, order, ORDER_ORIGIN, None, at, cash_on_delivery, None)
    if created is None and not cash_on_delivery:
        session.execute(
            update(Shipment)
            .where(Shipment.order_id == order_id, Shipment.origin == ORDER_ORIGIN,
                   Shipment.cash_on_delivery.is_(True),
                   Shipment.status.not_in((DELIVERED, CANCELLED)))
            .values(cash_on_delivery=False, updated_at=utcnow())
        )


def cancel_order(session: Session, order_id: str, user_id: str, at: datetime) -> None:
    """``OrderCancelled``: a ``ready`` shipment is cancelled; a payment arriving later
    makes none.

    The buyer may cancel until the order service has seen ``Shipped``, so the merchant
    may have shipped a moment before this arrives: the order's parcel under way is then
    marked for interception (once), for the merchant's console and a metric, since its
    money is being refunded.
    """
    _ensure_order(session, order_id, user_id)
    session.execute(
        update(Order).where(Order.order_id == order_id, Order.cancelled_at.is_(None))
        .values(cancelled_at=at, updated_at=utcnow())
    )
    ready = session.scalars(
        select(Shipment.id).where(Shipment.order_id == order_id, Shipment.status == READY)
    ).all()
    for shipment_id in ready:
        changed = session.execute(
            update(Shipment).where(Shipment.id == shipment_id, Shipment.status == READY)
            .values(status=CANCELLED, cancelled_at=at, updated_at=utcnow())
        ).rowcount
        if changed == 1:
            _timeline(session, shipment_id, CANCELLED, DESCRIPTIONS[CANCELLED], at)
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
            _timeline(session, shipment_id, INTERCEPT_REQUESTED,
                      DESCRIPTIONS[INTERCEPT_REQUESTED], at)
            INTERCEPTS_REQUESTED.labels("logistics").inc()
            log.warning("order cancelled after its parcel left; intercept it",
                        extra={"order_id": order_id, "shipment_id": shipment_id})


def prepare_replacement(session: Session, data: Mapping[str, Any]) -> None:
    """``ReturnReceived`` of an exchange: a replacement shipment of the returned lines.

    Its origin is the return, so a repeated event makes no second one.
    """
    _ensure_order(session, data["order_id"], data["user_id"])
    order = session.get(Order, data["order_id"], populate_existing=True)
    assert order is not None
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in data["lines"]]
    _create_shipment(session, order, origin_of_return(data["return_id"]), data["return_id"],
                     data["received_at"], False, lines)


# -- admin commands -------------------------------------------------------------------


def list_shipments(db: Database, order_id: str | None = None, status: str | None = None,
                   cursor: str | None = None, limit: int = 20,
                   intercept_requested: bool | None = None) -> dict:
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
        rows = list(session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": _admin_views(session, rows),
                "next_cursor": rows[-1].id if more else None}


def get_shipment(db: Database, shipment_id: str) -> dict:
    with db.read() as session:
        return _admin_views(session, [_shipment(session, shipment_id)])[0]


def ship(db: Database, shipment_id: str, carrier: str, tracking_number: str) -> dict:
    """``ready`` -> ``shipped`` with a carrier and tracking number, and ``Shipped``.

    The ETA is counted again from today. A pickup order goes by ``store`` (to the pickup
    point), every other by a carrier.
    """
    with db.transaction() as session:
        shipment = _shipment(session, shipment_id)
        if not can_ship(shipment.status):
            raise NotReady(f"the shipment is {shipment.status}",
                          shipment_status=shipment.status)
        check_carrier(carrier, shipment.delivery_method)
        taken = session.scalar(select(Shipment.id).where(
            Shipment.carrier == carrier, Shipment.tracking_number == tracking_number))
        if taken is not None:
            raise TrackingNumberInUse(f"{carrier} {tracking_number} is used by another shipment")
        at = utcnow()
        eta = estimated_delivery(shipment.delivery_method, at, transit_days())
        try:
            changed = session.execute(
                update(Shipment).where(Shipment.id == shipment_id, Shipment.status == READY)
                .values(status=SHIPPED, carrier=carrier, tracking_number=tracking_number,
                        shipped_at=at, estimated_delivery=eta, updated_at=at)
            ).rowcount
        except IntegrityError as exc:  # a concurrent ship took the number first
            raise TrackingNumberInUse(f"{carrier} {tracking_number} is already used") from exc
        if changed != 1:
            raise NotReady("the shipment is no longer ready")
        where = "Moved to the pickup point" if shipment.delivery_method == PICKUP else \
            f"Handed to {carrier.upper()}, tracking number {tracking_number}"
        _timeline(session, shipment_id, SHIPPED, where, at)
        outbox.emit(session, "Shipped", shipment.order_id, {
            "shipment_id": shipment_id,
            "order_id": shipment.order_id,
            "carrier": carrier,
            "tracking_number": tracking_number,
            "shipped_at": at.isoformat(),
            "estimated_delivery": eta.isoformat(),
            "return_id": shipment.return_id,
        })
        return _admin_views(session, [_shipment(session, shipment_id)])[0]


def collect(db: Database, shipment_id: str, pickup_code: str) -> dict:
    """The buyer collects a pickup order at the pickup point with their code: ``Delivered``."""
    with db.transaction() as session:
        shipment = _shipment(session, shipment_id)
        if shipment.delivery_method != PICKUP:
            raise NotAPickup("the shipment is delivered by a carrier")
        if shipment.status != SHIPPED:
            raise NotAtPickupPoint(f"the shipment is {shipment.status}",
                                  shipment_status=shipment.status)
        if not pickup_code_matches(shipment.pickup_code, pickup_code):
            raise WrongPickupCode("ask the buyer for the code shown in their order")
        at = utcnow()
        if not _deliver(session, shipment, at, (SHIPPED,)):
            raise NotAtPickupPoint("the shipment was collected already")
        _timeline(session, shipment_id, DELIVERED, "Collected at the pickup point", at)
        return _admin_views(session, [_shipment(session, shipment_id)])[0]


# -- carrier callbacks ----------------------------------------------------------------


def check_callback(carrier: str, secrets: Mapping[str, str], timestamp: str | None,
                   signature: str | None, body: bytes, max_age_s: int) -> None:
    """Raise (401/404) unless the callback is fresh and signed by ``carrier``; counted."""
    try:
        carriers.verify(carrier, secrets, timestamp, signature, body, time.time(), max_age_s)
    except Exception:
        CARRIER_CALLBACKS.labels(carrier if carrier in carriers.CALLBACK_CARRIERS else "unknown",
                                 "refused").inc()
        raise


def apply_tracking(db: Database, carrier: str, tracking_number: str,
                   events: Sequence[Mapping[str, Any]]) -> dict:
    """A verified carrier callback: each event once on the timeline, the status forward.

    ``delivered`` delivers the shipment and emits ``Delivered`` the first time only.
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
            if not _timeline(session, shipment.id, event["status"],
                             event.get("description") or DESCRIPTIONS[event["status"]],
                             event["at"], event["event_id"], event.get("location")):
                continue  # applied before
            applied += 1
            if event["status"] == DELIVERED:
                _deliver(session, shipment, event["at"], statuses_before(DELIVERED))
            else:
                session.execute(
                    update(Shipment)
                    .where(Shipment.id == shipment.id,
                           Shipment.status.in_(statuses_before(event["status"])))
                    .values(status=event["status"], updated_at=utcnow()))
        status = session.scalar(select(Shipment.status).where(Shipment.id == shipment.id))
    CARRIER_CALLBACKS.labels(carrier, "applied").inc()
    return {"shipment_id": shipment.id, "status": status, "applied": applied,
            "duplicates": len(events) - applied}


# -- buyer ----------------------------------------------------------------------------


def tracking(db: Database, user_id: str, order_id: str) -> dict:
    """The order's shipments with their timelines, for the order's owner only."""
    with db.read() as session:
        order = session.get(Order, order_id) if valid_id(order_id) else None
        if order is None or order.user_id != user_id:
            raise OrderNotFound(f"no order {order_id[:100]!r}")
        shipments = list(session.scalars(
            select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)))
        timelines = _timelines(session, [s.id for s in shipments])
        return {
            "order_id": order_id,
            "shipments": [
                {
                    "id": s.id,
                    "status": s.status,
                    "carrier": s.carrier,
                    "tracking_number": s.tracking_number,
                    "delivery_method": s.delivery_method,
                    "estimated_delivery": s.estimated_delivery,
                    "cash_on_delivery": s.cash_on_delivery,
                    # Only the owner gets here; the code is what they show at the counter.
                    "pickup_code": s.pickup_code if s.delivery_method == PICKUP else None,
                    "replacement_for_return": s.return_id,
                    "timeline": timelines[s.id],
                }
                for s in shipments
            ],
        }


# -- helpers --------------------------------------------------------------------------


def _ensure_order(session: Session, order_id: str, user_id: str | None) -> None:
    """The order's row exists afterwards (made by whichever of its events came first)."""
    inserted = insert_if_absent(session, Order, order_id=order_id, user_id=user_id,
                                updated_at=utcnow())
    if not inserted and user_id is not None:
        session.execute(update(Order).where(Order.order_id == order_id, Order.user_id.is_(None))
                        .values(user_id=user_id, updated_at=utcnow()))


def _create_shipment(session: Session, order: Order, origin: str, return_id: str | None,
                     at: datetime, cash_on_delivery: bool, lines: list | None) -> str | None:
    """Insert a ``ready`` shipment unless one of that origin exists; its id, or None."""
    method = order.delivery_method
    shipment_id = time_ordered_id("shp")
    if not insert_if_absent(
            session, Shipment,
            id=shipment_id, order_id=order.order_id, origin=origin, return_id=return_id,
            status=READY, cash_on_delivery=cash_on_delivery, delivery_method=method,
            estimated_delivery=(estimated_delivery(method, at, transit_days())
                                if method is not None else None),
            pickup_code=new_pickup_code() if method == PICKUP else None,
            lines=lines, ready_at=at, updated_at=utcnow()):
        return None  # the shipment of that origin exists
    description = DESCRIPTIONS[READY]
    if return_id is not None:
        description = "Replacement for an exchange; waiting to be shipped"
    elif cash_on_delivery:
        description = "Cash on delivery; waiting to be shipped"
    _timeline(session, shipment_id, READY, description, at)
    return shipment_id


def _deliver(session: Session, shipment: Shipment, at: datetime, from_statuses: Iterable[str]
             ) -> bool:
    """Deliver once: the conditional UPDATE that succeeds is the one that emits."""
    changed = session.execute(
        update(Shipment)
        .where(Shipment.id == shipment.id, Shipment.status.in_(tuple(from_statuses)))
        .values(status=DELIVERED, delivered_at=at, updated_at=utcnow())
    ).rowcount
    if changed != 1:
        return False
    outbox.emit(session, "Delivered", shipment.order_id, {
        "shipment_id": shipment.id,
        "order_id": shipment.order_id,
        "delivered_at": at.isoformat(),
        "return_id": shipment.return_id,
    })
    return True


def _timeline(session: Session, shipment_id: str, status: str, description: str | None,
              at: datetime, event_id: str | None = None, location: str | None = None) -> bool:
    """Add a timeline entry; False when the carrier event ``event_id`` is there already."""
    # Entries of our own (no event id) never collide: UNIQUE (shipment, event id) ignores NULLs.
    return insert_if_absent(session, TrackingEvent, shipment_id=shipment_id, event_id=event_id,
                            status=status, description=description, location=location, at=at,
                            recorded_at=utcnow())


def _timelines(session: Session, shipment_ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {shipment_id: [] for shipment_id in shipment_ids}
    if not shipment_ids:
        return found
    rows = session.scalars(
        select(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids))
        .order_by(TrackingEvent.at, TrackingEvent.id))
    for row in rows:
        found[row.shipment_id].append({"status": row.status, "description": row.description,
                                       "location": row.location, "at": row.at})
    return found


def _shipment(session: Session, shipment_id: str) -> Shipment:
    shipment = (session.get(Shipment, shipment_id, populate_existing=True)
                if valid_id(shipment_id, 40) else None)
    if shipment is None:
        raise ShipmentNotFound(f"no shipment {shipment_id[:60]!r}")
    return shipment


def _admin_views(session: Session, shipments: list[Shipment]) -> list[dict]:
    """Shipments as the merchant sees them: address and lines, never the pickup code."""
    orders = {o.order_id: o for o in session.scalars(
        select(Order).where(Order.order_id.in_({s.order_id for s in shipments})))}
    timelines = _timelines(session, [s.id for s in shipments])
    views = []
    for s in shipments:
        order = orders[s.order_id]
        views.append({
            "id": s.id,
            "order_id": s.order_id,
            "user_id": order.user_id,
            "return_id": s.return_id,
            "status": s.status,
            "delivery_method": s.delivery_method,
            "address_id": order.address_id,
            "shipping_address": order.shipping_address,
            "lines": s.lines if s.lines is not None else (order.lines or []),
            "cash_on_delivery": s.cash_on_delivery,
            "estimated_delivery": s.estimated_delivery,
            "carrier": s.carrier,
            "tracking_number": s.tracking_number,
            "ready_at": s.ready_at,
            "shipped_at": s.shipped_at,
            "delivered_at": s.delivered_at,
            "cancelled_at": s.cancelled_at,
            "intercept_requested_at": s.intercept_requested_at,
            "timeline": timelines[s.id],
        })
    return views
