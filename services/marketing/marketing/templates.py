"""Coupon templates: operations create, edit and pause them; buyers see the claimable ones.

One function per use case, one transaction each. Answers are plain dicts in the shape the
response schemas describe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from marketing.domain import (
    CouponNotFound,
    InvalidOffer,
    OfferStatus,
    check_coupon_template,
)
from marketing.models import CouponTemplate
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.money import money_json
from service_runtime.paging import Page, page_of

# Request fields holding Money: stored as fen beside the template's one currency.
MONEY_FIELDS = ("amount_off", "max_discount", "min_spend")
PLAIN_FIELDS = ("name", "description", "kind", "percent_off", "scope", "valid_from",
                "valid_until", "valid_days", "total_quantity", "per_user_limit",
                "member_levels", "claimable", "redeem_code", "auto_issue", "exclusion_group",
                "priority", "stacks_with_promotions", "status")


def template_json(t: CouponTemplate, admin: bool = False) -> dict[str, Any]:
    """A template as the API shows it; redeem code and issuing trigger only to admins."""
    shown = {
        "id": t.id, "name": t.name, "description": t.description, "kind": t.kind,
        "amount_off": _money(t.amount_off, t.currency), "percent_off": t.percent_off,
        "max_discount": _money(t.max_discount, t.currency),
        "min_spend": money_json(t.min_spend, t.currency), "scope": t.scope,
        "valid_from": t.valid_from, "valid_until": t.valid_until, "valid_days": t.valid_days,
        "total_quantity": t.total_quantity, "issued": t.issued, "remaining": t.remaining,
        "per_user_limit": t.per_user_limit, "member_levels": t.member_levels,
        "claimable": t.claimable, "exclusion_group": t.exclusion_group,
        "priority": t.priority, "stacks_with_promotions": t.stacks_with_promotions,
        "status": t.status,
    }
    if admin:
        shown.update(redeem_code=t.redeem_code, auto_issue=t.auto_issue,
                     created_at=t.created_at, updated_at=t.updated_at)
    return shown


def _money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else money_json(amount, currency)


def _columns(body: dict[str, Any], currency: str | None) -> tuple[dict[str, Any], str | None]:
    """Request fields as column values; every Money in one currency (the template's)."""
    values = {name: body[name] for name in PLAIN_FIELDS if name in body}
    for name in MONEY_FIELDS:
        if name not in body:
            continue
        money = body[name]
        if money is None:
            values[name] = None if name != "min_spend" else 0
            continue
        if currency is not None and money["currency"] != currency:
            raise InvalidOffer(f"{name} must be in {currency}, like the template's amounts")
        currency = money["currency"]
        values[name] = money["amount"]
    if values.get("redeem_code"):
        values["redeem_code"] = values["redeem_code"].strip().upper()
    return values, currency


def create_template(db: Database, body: dict[str, Any]) -> dict[str, Any]:
    values, currency = _columns(body, None)
    at = utcnow()
    merged = {"min_spend": 0, "issued": 0, "auto_issue": "none", **values}
    check_coupon_template(merged)
    template = CouponTemplate(
        id=time_ordered_id("cpt"), currency=currency or "CNY", issued=0,
        **{"min_spend": 0, "per_user_limit": 1, "claimable": True, "auto_issue": "none",
           "priority": 0, "stacks_with_promotions": True,
           "status": OfferStatus.ACTIVE.value, **values},
        created_at=at, updated_at=at)
    try:
        with db.transaction() as session:
            session.add(template)
    except IntegrityError as exc:
        raise InvalidOffer("another coupon has this redeem_code") from exc
    return template_json(template, admin=True)


def update_template(db: Database, template_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change the fields given (pause: ``{"status": "paused"}``); nothing changes unless the
    result is a valid template. The kind of a template is fixed once it exists."""
    try:
        with db.transaction() as session:
            template = session.get(CouponTemplate, template_id, with_for_update=True)
            if template is None:
                raise CouponNotFound(f"no coupon template {template_id}")
            if "kind" in body and body["kind"] != template.kind:
                raise InvalidOffer("the kind of a coupon cannot change; create another one")
            values, _ = _columns(body, template.currency)
            current = {column: getattr(template, column)
                       for column in (*PLAIN_FIELDS, *MONEY_FIELDS, "issued")}
            # Switching between fixed dates and days after claiming drops the other kind.
            if values.get("valid_days") is not None:
                values.setdefault("valid_from", None)
                values.setdefault("valid_until", None)
            elif values.get("valid_until") is not None:
                values["valid_days"] = None
            check_coupon_template({**current, **values})
            for column, value in values.items():
                setattr(template, column, value)
            template.updated_at = utcnow()
            session.flush()
            return template_json(template, admin=True)
    except IntegrityError as exc:
        raise InvalidOffer("another coupon has this redeem_code") from exc


def list_templates(db: Database, limit: int, cursor: str | None,
                   status: str | None = None) -> Page[dict[str, Any]]:
    """Every template, newest first (admins)."""
    with db.read() as session:
        query = select(CouponTemplate)
        if status is not None:
            query = query.where(CouponTemplate.status == status)
        if cursor:
            query = query.where(CouponTemplate.id < cursor)
        rows = list(session.scalars(query.order_by(CouponTemplate.id.desc()).limit(limit + 1)))
    page = page_of(rows, limit)
    return Page([template_json(t, admin=True) for t in page.items], page.next_cursor)


def claimable_filter(at: datetime) -> list[Any]:
    return [CouponTemplate.status == OfferStatus.ACTIVE.value,
            CouponTemplate.claimable.is_(True), CouponTemplate.redeem_code.is_(None),
            CouponTemplate.issued < CouponTemplate.total_quantity,
            or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until > at)]


def list_claimable(db: Database, limit: int, cursor: str | None) -> Page[dict[str, Any]]:
    """Templates a buyer can claim now, newest first, with how many are left."""
    with db.read() as session:
        query = select(CouponTemplate).where(*claimable_filter(utcnow()))
        if cursor:
            query = query.where(CouponTemplate.id < cursor)
        rows = list(session.scalars(query.order_by(CouponTemplate.id.desc()).limit(limit + 1)))
    page = page_of(rows, limit)
    return Page([template_json(t) for t in page.items], page.next_cursor)
