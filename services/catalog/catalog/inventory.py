"""Stock reservations for orders: reserve, release, sell; returned goods restocked."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog import flash_holds
from catalog.domain import merge_quantities
from catalog.events import outbox, publish_stock_change
from catalog.models import Product, Reservation, ReservationLine, RestockedReturn, Sku
from service_runtime.db import Database
from service_runtime.ids import utcnow as now

log = logging.getLogger(__name__)


class ReservationStatus(StrEnum):
    RESERVED = "reserved"
    REJECTED = "rejected"  # some line was short: nothing is held
    RELEASED = "released"  # the order was cancelled: the units are available again
    COMMITTED = "committed"  # the order shipped: the units were sold


def reserve_order(session: Session, order_id: str, lines: Iterable[tuple[str, int]],
                  flash_session_id: str | None = None) -> str:
    """``OrderPlaced``: reserve every line or none, and say which with an event.

    Each line is one conditional update (``reserved + n`` only while ``on_hand -
    reserved >= n``), so the database, not Python, decides who gets the last units;
    on PostgreSQL the second writer waits for the first and re-checks the condition.
    All lines run in a savepoint that is rolled back as soon as one fails. The
    reservation row (primary key = order id) makes a repeated event a no-op.
    A flash-sale order (``flash_session_id``) takes its units from the session's live
    hold instead (``catalog.flash_holds``). Returns the reservation's status.
    """
    existing = session.get(Reservation, order_id)
    if existing is not None:
        return existing.status
    at = now()
    reservation = Reservation(order_id=order_id, status=ReservationStatus.RESERVED, created_at=at,
                              updated_at=at)
    session.add(reservation)
    session.flush()  # a concurrent duplicate fails here and is retried by the consumer
    merged = merge_quantities(lines)
    savepoint = session.begin_nested()
    failed = False
    taken_from_hold = []
    for sku, quantity in merged:
        held = None if flash_session_id is None else flash_holds.take(
            session, flash_session_id, sku, quantity)
        if held is not None:
            if not held:
                failed = True
                break
            taken_from_hold.append(sku)
            continue
        changed = session.execute(
            update(Sku)
            .where(Sku.sku == sku, Sku.on_hand - Sku.reserved >= quantity)
            .values(reserved=Sku.reserved + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            failed = True
            break
    if failed:
        savepoint.rollback()
        available = dict(session.execute(
            select(Sku.sku, Sku.on_hand - Sku.reserved).where(Sku.sku.in_([s for s, _ in merged]))
        ).all())
        reason = "unknown_sku" if len(available) < len(merged) else "insufficient_stock"
        reservation.status = ReservationStatus.REJECTED
        outbox.emit(session, "StockRejected", key=order_id, data={
            "order_id": order_id,
            "reason": reason,
            "lines": [{"sku": sku, "requested": quantity,
                       "available": max(0, available.get(sku, 0))}
                      for sku, quantity in merged],
            "rejected_at": at.isoformat(),
        })
        return reservation.status
    savepoint.commit()
    if taken_from_hold:
        flash_holds.record_takes(session, order_id, flash_session_id or "", taken_from_hold)
    session.add_all(ReservationLine(order_id=order_id, sku=sku, quantity=quantity)
                    for sku, quantity in merged)
    outbox.emit(session, "StockReserved", key=order_id, data={
        "order_id": order_id,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in merged],
        "reserved_at": at.isoformat(),
    })
    publish_stock_change(session, [sku for sku, _ in merged])
    # Not ``reservation.status``: publishing expired every object, so reading it would
    # load the row again (about 5 % of the catalog worker's time per order).
    return ReservationStatus.RESERVED


def release_order(session: Session, order_id: str) -> bool:
    """``OrderCancelled``: give back what the order reserved, once. True if stock returned.

    A cancellation that arrives before its order leaves a ``released`` row behind, so the
    late ``OrderPlaced`` reserves nothing.
    """
    at = now()
    if session.get(Reservation, order_id) is None:
        session.add(Reservation(order_id=order_id, status=ReservationStatus.RELEASED, created_at=at,
                                updated_at=at))
        session.flush()
        return False
    changed = session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == ReservationStatus.RESERVED)
        .values(status=ReservationStatus.RELEASED, updated_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False  # rejected, already released or shipped
    lines = session.execute(
        select(ReservationLine.sku, ReservationLine.quantity)
        .where(ReservationLine.order_id == order_id).order_by(ReservationLine.sku)
    ).all()
    for sku, quantity in lines:
        if flash_holds.give_back(session, order_id, sku, quantity):
            continue  # back to its flash session's live hold (still in Sku.reserved)
        returned = session.execute(
            update(Sku).where(Sku.sku == sku, Sku.reserved >= quantity)
            .values(reserved=Sku.reserved - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if returned != 1:
            raise RuntimeError(f"{sku} holds less than order {order_id} reserved")
    publish_stock_change(session, [sku for sku, _ in lines])
    return True


def sell_reservation(session: Session, order_id: str) -> bool:
    """``Shipped``: the order's reservation becomes a sale (its status ``committed``): the
    reserved units leave the warehouse (on hand and reserved both drop) and count as
    sales. Once; True if stock changed."""
    changed = session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == ReservationStatus.RESERVED)
        .values(status=ReservationStatus.COMMITTED, updated_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False  # unknown to the catalog, rejected, released or committed already
    lines = session.execute(
        select(ReservationLine.sku, ReservationLine.quantity)
        .where(ReservationLine.order_id == order_id).order_by(ReservationLine.sku)
    ).all()
    for sku, quantity in lines:
        shipped = session.execute(
            update(Sku).where(Sku.sku == sku, Sku.reserved >= quantity)
            .values(reserved=Sku.reserved - quantity, on_hand=Sku.on_hand - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if shipped != 1:
            raise RuntimeError(f"{sku} holds less than order {order_id} reserved")
        session.execute(
            update(Product)
            .where(Product.id == select(Sku.product_id).where(Sku.sku == sku).scalar_subquery())
            .values(sales_count=Product.sales_count + quantity)
            .execution_options(synchronize_session=False)
        )
    publish_stock_change(session, [sku for sku, _ in lines])
    return True


def reservation_status(db: Database, order_id: str) -> str | None:
    with db.read() as session:
        reservation = session.get(Reservation, order_id)
        return reservation.status if reservation else None


def restock_return(session: Session, return_id: str, lines: Iterable[tuple[str, int]]) -> int:
    """``ReturnReceived`` (return and refund): the goods are back on hand, one atomic
    ``on_hand + n`` per SKU, and the products' stock is published like any stock move.
    SKUs the catalog does not know are logged and skipped. Returns the units restocked.
    Once per return, whatever the event id: the return's row is written first (a concurrent
    duplicate fails on its key and is retried by the consumer, then finds it).
    """
    if session.get(RestockedReturn, return_id) is not None:
        return 0
    session.add(RestockedReturn(return_id=return_id, restocked_at=now()))
    session.flush()
    restocked: list[str] = []
    units = 0
    for sku, quantity in merge_quantities(lines):
        changed = session.execute(
            update(Sku).where(Sku.sku == sku).values(on_hand=Sku.on_hand + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            log.warning("returned goods of a SKU the catalog does not know; skipped",
                        extra={"sku": sku, "return_id": return_id})
            continue
        restocked.append(sku)
        units += quantity
    if restocked:
        publish_stock_change(session, restocked)
    return units
