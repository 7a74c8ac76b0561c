"""Promotions: full-reduction tiers, timed discounts, member prices; each with a window.

Admins create, edit and pause them; buyers see those running now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketing.domain import InvalidOffer, OfferStatus, PromotionNotFound, check_promotion
from marketing.models import Promotion
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.money import money_json
from service_runtime.paging import Page, page_of

FIELDS = ("name", "kind", "scope", "percent", "member_percents", "starts_at", "ends_at",
          "exclusion_group", "priority", "status")


def promotion_json(p: Promotion, admin: bool = False) -> dict[str, Any]:
    shown = {
        "id": p.id, "name": p.name, "kind": p.kind, "scope": p.scope,
        "tiers": None if p.tiers is None else [
            {"threshold": money_json(t["threshold"], p.currency),
             "off": money_json(t["off"], p.currency)} for t in p.tiers],
        "percent": p.percent, "member_percents": p.member_percents,
        "starts_at": p.starts_at, "ends_at": p.ends_at,
        "exclusion_group": p.exclusion_group, "priority": p.priority, "status": p.status,
    }
    if admin:
        shown.update(created_at=p.created_at, updated_at=p.updated_at)
    return shown


def _columns(body: dict[str, Any], currency: str | None) -> tuple[dict[str, Any], str | None]:
    values = {name: body[name] for name in FIELDS if name in body}
    if body.get("tiers") is not None:
        tiers = []
        for tier in body["tiers"]:
            for money in (tier["threshold"], tier["off"]):
                if currency is not None and money["currency"] != currency:
                    raise InvalidOffer(f"every tier must be in {currency}")
                currency = money["currency"]
            tiers.append({"threshold": tier["threshold"]["amount"],
                          "off": tier["off"]["amount"]})
        values["tiers"] = tiers
    elif "tiers" in body:
        values["tiers"] = None
    return values, currency


def create_promotion(db: Database, body: dict[str, Any]) -> dict[str, Any]:
    values, currency = _columns(body, None)
    check_promotion(values)
    at = utcnow()
    promotion = Promotion(id=time_ordered_id("prm"), currency=currency or "CNY",
                          **{"priority": 0, "status": OfferStatus.ACTIVE.value, **values},
                          created_at=at, updated_at=at)
    with db.transaction() as session:
        session.add(promotion)
    return promotion_json(promotion, admin=True)


def update_promotion(db: Database, promotion_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change the fields given (pause: ``{"status": "paused"}``), all or nothing."""
    with db.transaction() as session:
        promotion = session.get(Promotion, promotion_id, with_for_update=True)
        if promotion is None:
            raise PromotionNotFound(f"no promotion {promotion_id}")
        if "kind" in body and body["kind"] != promotion.kind:
            raise InvalidOffer("the kind of a promotion cannot change; create another one")
        values, _ = _columns(body, promotion.currency)
        current = {name: getattr(promotion, name) for name in (*FIELDS, "tiers")}
        check_promotion({**current, **values})
        for name, value in values.items():
            setattr(promotion, name, value)
        promotion.updated_at = utcnow()
        session.flush()
        return promotion_json(promotion, admin=True)


def list_promotions(db: Database, limit: int, cursor: str | None,
                    status: str | None = None) -> Page[dict[str, Any]]:
    with db.read() as session:
        query = select(Promotion)
        if status is not None:
            query = query.where(Promotion.status == status)
        if cursor:
            query = query.where(Promotion.id < cursor)
        rows = list(session.scalars(query.order_by(Promotion.id.desc()).limit(limit + 1)))
    page = page_of(rows, limit)
    return Page([promotion_json(p, admin=True) for p in page.items], page.next_cursor)


def running(session: Session, at: datetime) -> list[Promotion]:
    """Active promotions whose window holds ``at``, highest priority first."""
    return list(session.scalars(
        select(Promotion).where(Promotion.status == OfferStatus.ACTIVE.value,
                                Promotion.starts_at <= at, Promotion.ends_at > at)
        .order_by(Promotion.priority.desc(), Promotion.id)))


def running_promotions(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        return [promotion_json(p) for p in running(session, utcnow())]
