"""Flash-sale holds: a session's units set apart from normal stock.

``FlashSessionScheduled``: per SKU, ``min(quantity, available)`` is added to
``Sku.reserved`` (one conditional update) and kept as a live hold with ``units_left``
-> ``FlashStockHeld`` (once). A flash order takes its units from the hold
(``units_left -= n``; ``Sku.reserved`` already counts them) and a release while the hold
is live gives them back to it; once the session ended (``FlashSessionEnded``:
``Sku.reserved -= units_left``, hold closed), its orders are like any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.domain import merge_quantities
from catalog.events import outbox, publish_stock_change
from catalog.flash_models import FlashHold, FlashHoldSession, FlashOrderTake
from catalog.models import Sku
from service_runtime.db import insert_if_absent
from service_runtime.errors import Conflict
from service_runtime.ids import utcnow as now


class HoldStatus(StrEnum):
    HELD = "held"  # a session whose stock is set apart
    ENDED = "ended"
    LIVE = "live"  # a hold orders take from
    CLOSED = "closed"  # what was left went back to normal stock


class StockMoved(Conflict):
    """Available stock changed between reading and holding it: the consumer retries."""


def hold_session(session: Session, data: dict[str, Any]) -> bool:
    """FlashSessionScheduled: set the session's units apart; True if this call did."""
    at = now()
    session_id = data["session_id"]
    if not insert_if_absent(session, FlashHoldSession, session_id=session_id,
                            status=HoldStatus.HELD.value, changed_at=at):
        return False  # held before, or it ended before it was scheduled here
    items = []
    for sku, requested in merge_quantities((i["sku"], i["quantity"]) for i in data["items"]):
        available = session.scalar(select(Sku.on_hand - Sku.reserved).where(Sku.sku == sku))
        held = max(0, min(requested, available or 0))
        if held and session.execute(
                update(Sku).where(Sku.sku == sku, Sku.on_hand - Sku.reserved >= held)
                .values(reserved=Sku.reserved + held)
                .execution_options(synchronize_session=False)).rowcount != 1:
            raise StockMoved(f"{sku}: stock changed while holding it")
        session.add(FlashHold(session_id=session_id, sku=sku, held=held, units_left=held,
                              status=HoldStatus.LIVE.value))
        items.append({"sku": sku, "requested": requested, "held": held})
    outbox.emit(session, "FlashStockHeld", key=session_id, data={
        "session_id": session_id, "items": items, "held_at": at.isoformat()})
    publish_stock_change(session, [item["sku"] for item in items if item["held"]])
    return True


def end_session(session: Session, session_id: str) -> int:
    """FlashSessionEnded: what is left of the holds goes back to normal stock, once.
    Returns the units given back."""
    at = now()
    if insert_if_absent(session, FlashHoldSession, session_id=session_id,
                        status=HoldStatus.ENDED.value, changed_at=at):
        return 0  # ended before it was scheduled here: a late FlashSessionScheduled holds nothing
    if session.execute(update(FlashHoldSession)
                       .where(FlashHoldSession.session_id == session_id,
                              FlashHoldSession.status == HoldStatus.HELD.value)
                       .values(status=HoldStatus.ENDED.value, changed_at=at)
                       .execution_options(synchronize_session=False)).rowcount != 1:
        return 0
    # RETURNING: the units left as the closing update saw them (a release racing it on
    # PostgreSQL either came first, and is counted, or finds the hold closed).
    closed = session.execute(
        update(FlashHold).where(FlashHold.session_id == session_id,
                                FlashHold.status == HoldStatus.LIVE.value)
        .values(status=HoldStatus.CLOSED.value)
        .returning(FlashHold.sku, FlashHold.units_left)
        .execution_options(synchronize_session=False)).all()
    for sku, units in sorted(closed):
        if units:
            session.execute(update(Sku).where(Sku.sku == sku, Sku.reserved >= units)
                            .values(reserved=Sku.reserved - units)
                            .execution_options(synchronize_session=False))
    publish_stock_change(session, [sku for sku, units in closed if units])
    return sum(units for _, units in closed)


def take(session: Session, session_id: str, sku: str, quantity: int) -> bool | None:
    """A flash order's line from the session's hold: True taken, False the live hold is
    short, None no live hold (the session ended: reserve as any order)."""
    if session.execute(update(FlashHold)
                       .where(FlashHold.session_id == session_id, FlashHold.sku == sku,
                              FlashHold.status == HoldStatus.LIVE.value,
                              FlashHold.units_left >= quantity)
                       .values(units_left=FlashHold.units_left - quantity)
                       .execution_options(synchronize_session=False)).rowcount == 1:
        return True
    live = session.scalar(select(FlashHold.sku).where(
        FlashHold.session_id == session_id, FlashHold.sku == sku,
        FlashHold.status == HoldStatus.LIVE.value))
    return False if live is not None else None


def record_takes(session: Session, order_id: str, session_id: str, skus: Iterable[str]) -> None:
    session.add_all(FlashOrderTake(order_id=order_id, sku=sku, session_id=session_id)
                    for sku in skus)


def give_back(session: Session, order_id: str, sku: str, quantity: int) -> bool:
    """A released flash order's line back to its hold, if that is still live. False: the
    units go back to normal stock (the caller's ``Sku.reserved -= n``)."""
    session_id = session.scalar(select(FlashOrderTake.session_id).where(
        FlashOrderTake.order_id == order_id, FlashOrderTake.sku == sku))
    if session_id is None:
        return False
    return session.execute(
        update(FlashHold).where(FlashHold.session_id == session_id, FlashHold.sku == sku,
                                FlashHold.status == HoldStatus.LIVE.value)
        .values(units_left=FlashHold.units_left + quantity)
        .execution_options(synchronize_session=False)).rowcount == 1
