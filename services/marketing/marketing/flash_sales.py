"""Flash sessions: created and ended by an admin, read by everyone, ended by the timer;
and the flash price the quote charges (``@register(CampaignKind.FLASH_SALE)``).

Creating a session emits ``FlashSessionScheduled`` (the catalog sets the stock apart and
answers ``FlashStockHeld``); ending it (its end passed, or early) emits
``FlashSessionEnded`` once: ``UPDATE ... WHERE status='scheduled'`` picks one winner
even with two worker replicas.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.vocabulary import AdjustmentKind, CampaignKind
from marketing.campaign_prices import CampaignPrice, UnknownCampaign, register
from marketing.flash_domain import (
    FlashSessionStatus,
    FlashStockStatus,
    InvalidSession,
    SessionNotFound,
)
from marketing.flash_models import FlashItem, FlashSession
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.outbox import Outbox

outbox = Outbox("marketing")
LABEL = "秒杀价"


def create_session(db: Database, body: Mapping[str, Any]) -> dict[str, Any]:
    """A new session and its FlashSessionScheduled, in one transaction."""
    at = utcnow()
    seconds = body.get("payment_seconds") or 60 * (body.get("payment_minutes") or 5)
    if body["ends_at"] <= body["starts_at"] or body["ends_at"] <= at:
        raise InvalidSession("ends_at must be after starts_at and in the future")
    skus = [item["sku"] for item in body["items"]]
    if len(set(skus)) != len(skus):
        raise InvalidSession("each SKU at most once per session")
    flash = FlashSession(id=time_ordered_id("fls"), name=body.get("name") or "秒杀",
                         starts_at=body["starts_at"], ends_at=body["ends_at"],
                         payment_seconds=seconds, status=FlashSessionStatus.SCHEDULED.value,
                         created_at=at)
    items = [FlashItem(session_id=flash.id, sku=item["sku"], product_id=item.get("product_id"),
                       flash_price=item["flash_price"]["amount"],
                       currency=item["flash_price"]["currency"], quantity=item["quantity"],
                       held=None, remaining=0, per_user_limit=item["per_user_limit"],
                       stock_status=FlashStockStatus.PENDING.value)
             for item in body["items"]]
    with db.transaction() as session:
        session.add(flash)
        session.add_all(items)
        session.flush()
        outbox.emit(session, "FlashSessionScheduled", key=flash.id, data={
            "session_id": flash.id, "starts_at": flash.starts_at.isoformat(),
            "ends_at": flash.ends_at.isoformat(),
            "items": [{"sku": item.sku, "quantity": item.quantity} for item in items],
            "scheduled_at": at.isoformat()})
        return session_json(flash, items, at)


def end_early(db: Database, session_id: str) -> dict[str, Any]:
    at = utcnow()
    with db.transaction() as session:
        flash = session.get(FlashSession, session_id)
        if flash is None:
            raise SessionNotFound(f"no flash session {session_id}")
        end_session(session, session_id, at)
        session.refresh(flash)
        return session_json(flash, _items(session, [session_id])[session_id], at)


def end_session(session: Session, session_id: str, at: datetime) -> bool:
    """The session is over: FlashSessionEnded, once. True if this call ended it."""
    ended = session.execute(
        update(FlashSession)
        .where(FlashSession.id == session_id,
               FlashSession.status == FlashSessionStatus.SCHEDULED.value)
        .values(status=FlashSessionStatus.ENDED.value, ended_at=at,
                ends_at=_earlier(session, session_id, at))
        .execution_options(synchronize_session=False)).rowcount
    if ended == 1:
        outbox.emit(session, "FlashSessionEnded", key=session_id,
                    data={"session_id": session_id, "ended_at": at.isoformat()})
    return ended == 1


def _earlier(session: Session, session_id: str, at: datetime) -> datetime:
    ends_at = session.scalar(select(FlashSession.ends_at).where(FlashSession.id == session_id))
    return min(ends_at, at) if ends_at is not None else at


def end_due_sessions(db: Database, at: datetime) -> bool:
    """The timer's tick: every session past its end ends (once each)."""
    with db.transaction() as session:
        due = list(session.scalars(select(FlashSession.id).where(
            FlashSession.status == FlashSessionStatus.SCHEDULED.value,
            FlashSession.ends_at <= at).limit(100)))
        for session_id in due:
            end_session(session, session_id, at)
    return len(due) == 100  # more are due: run again at once


def list_sessions(db: Database, *, admin: bool) -> dict[str, Any]:
    """Public: sessions not over yet, soonest first; admin: every session, newest first."""
    at = utcnow()
    with db.read() as session:
        query = select(FlashSession)
        if admin:
            query = query.order_by(FlashSession.id.desc()).limit(100)
        else:
            query = query.where(FlashSession.status == FlashSessionStatus.SCHEDULED.value,
                                FlashSession.ends_at > at).order_by(FlashSession.starts_at)
        sessions = list(session.scalars(query.limit(100)))
        items = _items(session, [flash.id for flash in sessions])
        return {"items": [session_json(flash, items.get(flash.id, []), at)
                          for flash in sessions], "server_time": at}


def _items(session: Session, session_ids: list[str]) -> dict[str, list[FlashItem]]:
    found: dict[str, list[FlashItem]] = {session_id: [] for session_id in session_ids}
    for item in session.scalars(select(FlashItem).where(FlashItem.session_id.in_(session_ids))
                                .order_by(FlashItem.sku)):
        found[item.session_id].append(item)
    return found


def session_json(flash: FlashSession, items: list[FlashItem], at: datetime) -> dict[str, Any]:
    state = ("ended" if flash.status == FlashSessionStatus.ENDED or at >= flash.ends_at
             else "running" if at >= flash.starts_at else "upcoming")
    return {
        "id": flash.id, "name": flash.name, "starts_at": flash.starts_at,
        "ends_at": flash.ends_at, "payment_seconds": flash.payment_seconds, "state": state,
        "server_time": at,
        "items": [{"sku": item.sku, "product_id": item.product_id,
                   "flash_price": {"amount": item.flash_price, "currency": item.currency},
                   "quantity": item.held if item.held is not None else item.quantity,
                   "remaining": item.remaining, "per_user_limit": item.per_user_limit,
                   "stock_status": item.stock_status} for item in items],
    }


@register(CampaignKind.FLASH_SALE)
def flash_price(session: Session, campaign: Mapping[str, Any], _user_id: str | None,
                skus: list[str], _at: datetime) -> CampaignPrice:
    """The session's flash price of every line's SKU. No open/remaining check: the gate
    did it when the attempt won, and the order may be made after the session ended."""
    session_id = campaign["campaign_id"]
    prices = dict(session.execute(select(FlashItem.sku, FlashItem.flash_price).where(
        FlashItem.session_id == session_id, FlashItem.sku.in_(skus))).all())
    if set(skus) - set(prices):
        raise UnknownCampaign(f"flash session {session_id} does not sell "
                              + ", ".join(sorted(set(skus) - set(prices))))
    return CampaignPrice(AdjustmentKind.FLASH_PRICE, session_id, LABEL, prices)


def demo_session(db: Database, sku: str, product_id: int | None, flash_price: int,
                 quantity: int = 20) -> bool:
    """The demo session (starts now, ends in 7 days), unless one already sells ``sku``."""
    with db.read() as session:
        if session.scalar(select(FlashItem.sku).where(FlashItem.sku == sku).limit(1)):
            return False
    at = utcnow()
    create_session(db, {"name": "演示秒杀", "starts_at": at, "ends_at": at + timedelta(days=7),
                        "payment_minutes": 5,
                        "items": [{"sku": sku, "product_id": product_id, "quantity": quantity,
                                   "per_user_limit": 1,
                                   "flash_price": {"amount": flash_price, "currency": "CNY"}}]})
    return True
