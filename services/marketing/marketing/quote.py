"""The pricing centre's one use case: a quote for a buyer's lines.

It loads what the engine needs (running promotions, the buyer's available coupons, their
level and points balance, the products' categories and brands) in one read transaction,
calls the pure engine (``pricing_engine.price``) and turns its answer into the JSON of
MARKETING.md ("The quote"). The cart, the checkout preview and the order all price here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from marketing import campaign_quote, pricing_engine
from marketing.campaign_prices import campaign_price
from marketing.domain import CouponNotUsable, NotEnoughPoints
from marketing.issuing import held_coupon, usable_coupons
from marketing.members import member, products
from marketing.models import CouponTemplate, UserCoupon
from marketing.models import Promotion as PromotionRow
from marketing.pricing_types import (
    CandidateCoupon,
    CouponKind,
    Money,
    PointsRules,
    PricingLine,
    Promotion,
    PromotionKind,
    Quote,
    Scope,
    Tier,
    UnusableReason,
)
from marketing.pricing_types import CouponNotUsable as EngineCouponNotUsable
from marketing.pricing_types import NotEnoughPoints as EngineNotEnoughPoints
from marketing.promotions import running
from service_runtime.db import Database
from service_runtime.ids import utcnow
from service_runtime.money import money_json

Held = dict[str, tuple[UserCoupon, CouponTemplate]]


def engine_promotion(row: PromotionRow) -> Promotion:
    return Promotion(
        id=row.id, kind=PromotionKind(row.kind), name=row.name, scope=Scope.from_json(row.scope),
        percent=row.percent, level_percents=dict(row.member_percents or {}),
        tiers=tuple(Tier(t["threshold"], t["off"]) for t in row.tiers or ()),
        exclusion_group=row.exclusion_group, priority=row.priority,
        starts_at=row.starts_at, ends_at=row.ends_at)


def candidate(coupon: UserCoupon, template: CouponTemplate) -> CandidateCoupon:
    return CandidateCoupon(
        user_coupon_id=coupon.id, template_id=template.id, name=template.name,
        kind=CouponKind(template.kind), amount_off=template.amount_off or 0,
        percent_off=template.percent_off, max_discount=template.max_discount,
        min_spend=template.min_spend, scope=Scope.from_json(template.scope),
        exclusion_group=template.exclusion_group, priority=template.priority,
        stacks_with_promotions=template.stacks_with_promotions,
        valid_from=coupon.valid_from, valid_until=coupon.valid_until)


def quote(db: Database, user_id: str | None, body: dict[str, Any],
          points_max_share_percent: int = 50) -> dict[str, Any]:
    """The quote for ``body`` (MARKETING.md's request) priced for ``user_id`` (None: a
    guest, who has no coupons, no points and no level)."""
    at = utcnow()
    with db.read() as session:
        known = products(session, (line.get("product_id") for line in body["lines"]))
        lines = [PricingLine(
            sku=line["sku"], quantity=line["quantity"],
            unit_price=Money(line["unit_price"]["amount"], line["unit_price"]["currency"]),
            product_id=line.get("product_id"),
            category_path=tuple(known[line["product_id"]].category_path)
            if line.get("product_id") in known else (),
            brand=known[line["product_id"]].brand if line.get("product_id") in known else None)
            for line in body["lines"]]
        promotions = [engine_promotion(row) for row in running(session, at)]
        held: Held = {}
        level, balance = None, 0
        if user_id is not None:
            held = {c.id: (c, t) for c, t in usable_coupons(session, user_id, at)}
            copy = member(session, user_id)
            level, balance = (copy.level, copy.points_balance) if copy else ("regular", 0)
        if body.get("campaign"):
            return _campaign(session, user_id, body, lines, at)
        chosen = body.get("user_coupon_id") or _held_code(session, held, body.get("coupon_code"))
    currency = lines[0].unit_price.currency
    try:
        priced = pricing_engine.price(
            lines, now=at, promotions=promotions,
            coupons=[candidate(c, t) for c, t in held.values()], member_level=level,
            points_balance=balance, points_requested=body.get("points") or 0,
            chosen_coupon_id=chosen, suggest_coupon=body.get("suggest_coupon", False),
            delivery_method=body.get("delivery_method"),
            points_rules=PointsRules(points_max_share_percent), currency=currency)
    except EngineCouponNotUsable as refused:
        raise CouponNotUsable(refused.detail, user_coupon_id=refused.user_coupon_id,
                              reason=refused.reason.value) from None
    except EngineNotEnoughPoints as short:
        raise NotEnoughPoints(str(short), requested=short.requested,
                              balance=short.balance) from None
    return quote_json(priced, held, at)


def _campaign(session: Any, user_id: str | None, body: dict[str, Any],
              lines: list[PricingLine], at: datetime) -> dict[str, Any]:
    """A campaign's quote (``marketing.campaign_quote``): its price, no promotion, coupon
    or points; the buyer's level still sets the free-shipping threshold."""
    price = campaign_price(session, body["campaign"], user_id, [line.sku for line in lines], at)
    level = None
    if user_id is not None:
        copy = member(session, user_id)
        level = copy.level if copy else "regular"
    priced = campaign_quote.campaign_quote(
        lines, price, at=at, member_level=level,
        delivery_method=body.get("delivery_method"), currency=lines[0].unit_price.currency)
    return campaign_quote.at_list_price(quote_json(priced, {}, at), lines, price)


def _held_code(session: Any, held: Held, code: str | None) -> str | None:
    """The buyer's available coupon of the template with redeem code ``code``."""
    if not code:
        return None
    template_id = session.scalar(select(CouponTemplate.id).where(
        CouponTemplate.redeem_code == code.strip().upper()))
    for coupon_id, (coupon, _template) in held.items():
        if coupon.template_id == template_id:
            return coupon_id
    raise CouponNotUsable("you hold no available coupon with this code",
                          user_coupon_id=None, reason=UnusableReason.NOT_FOUND.value)


def _timestamps(value: Any) -> Any:
    """Datetimes as the schemas write them (ISO 8601), in a coupon's nested dicts."""
    if isinstance(value, dict):
        return {key: _timestamps(item) for key, item in value.items()}
    return value.isoformat() if isinstance(value, datetime) else value


def _money(money: Money) -> dict[str, Any]:
    return money_json(money.amount, money.currency)


def quote_json(q: Quote, held: Held, at: datetime) -> dict[str, Any]:
    def coupon(user_coupon_id: str, **extra: Any) -> dict[str, Any]:
        row, template = held[user_coupon_id]
        return _timestamps({**held_coupon(row, template, at), **extra})

    return {
        "currency": q.currency, "subtotal": _money(q.subtotal),
        "discount_total": _money(q.discount_total), "shipping": _money(q.shipping),
        "points_used": q.points_used, "points_value": _money(q.points_value),
        "payable": _money(q.payable),
        "adjustments": [{"kind": a.kind.value, "source_id": a.source_id, "label": a.label,
                         "amount": _money(a.amount)} for a in q.adjustments],
        "lines": [{"sku": line.sku, "quantity": line.quantity,
                   "unit_price": _money(line.unit_price), "subtotal": _money(line.subtotal),
                   "payable": _money(line.payable), "points": line.points,
                   "allocations": [{"kind": a.kind.value, "source_id": a.source_id,
                                    "amount": _money(a.amount)} for a in line.allocations]}
                  for line in q.lines],
        "applied_coupon": coupon(q.applied_coupon.user_coupon_id) if q.applied_coupon else None,
        "coupons": {
            "usable": [coupon(u.coupon.user_coupon_id, discount=_money(u.discount))
                       for u in q.usable_coupons],
            "unusable": [coupon(u.coupon.user_coupon_id, reason=u.reason.value,
                                reason_detail=u.detail,
                                missing=_money(u.missing) if u.missing else None)
                         for u in q.unusable_coupons]},
        "best_coupon": coupon(q.best_coupon.coupon.user_coupon_id,
                              discount=_money(q.best_coupon.discount))
        if q.best_coupon else None,
        "promotions": [{"id": p.id, "kind": p.kind.value, "name": p.name, "applied": p.applied,
                        "discount": _money(p.discount)} for p in q.promotions],
        "next_tier": None if q.next_tier is None else {
            "promotion_id": q.next_tier.promotion_id, "threshold": _money(q.next_tier.threshold),
            "off": _money(q.next_tier.off), "missing": _money(q.next_tier.missing),
            "hint": q.next_tier.hint},
        "points": {"balance": q.points.balance, "requested": q.points.requested,
                   "used": q.points.used, "max_usable": q.points.max_usable},
        "member_level": q.member_level,
    }
