"""Promotions and coupons as the admin sees them: the discounts each gave, on how many
orders, and what those orders were worth.

``OrderPlaced.adjustments`` carries each discount with its ``source_id`` (the promotion,
the coupon template, the group-buy campaign or flash session); each is kept once as a
fact. Points and the shipping fee are no promotion and are not kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from analytics.domain import day_window
from analytics.insights_models import OrderAdjustmentFact
from analytics.models import OrderFact
from event_contracts.vocabulary import AdjustmentKind
from service_runtime.db import Database, insert_if_absent

NOT_PROMOTIONS = frozenset({AdjustmentKind.POINTS.value, AdjustmentKind.SHIPPING.value})


def order_placed(session: Session, data: dict[str, Any]) -> None:
    """Keep the order's promotion and coupon discounts (a redelivery inserts nothing)."""
    for number, adjustment in enumerate(data.get("adjustments") or [], start=1):
        if adjustment["kind"] in NOT_PROMOTIONS or not adjustment.get("source_id"):
            continue
        insert_if_absent(session, OrderAdjustmentFact, order_id=data["order_id"],
                         adjustment_no=number, kind=adjustment["kind"],
                         source_id=adjustment["source_id"][:64],
                         label=adjustment["label"][:200],
                         amount=adjustment["amount"]["amount"],
                         currency=adjustment["amount"]["currency"])


def report(db: Database, start: date, end: date, currency: str, limit: int) -> dict[str, Any]:
    """Per promotion or coupon, the orders placed from ``start`` to ``end`` (UTC days, both
    included) that it discounted: how many (and how many were paid), the discount it gave
    and their GMV (what the buyers were to pay). An order counts once per source even
    when the source discounted it twice."""
    day_window(start, end)
    adjustment, order = OrderAdjustmentFact, OrderFact
    # One row per (order, source) first, so an order's total counts once per source.
    per_order = (select(adjustment.kind, adjustment.source_id,
                        func.max(adjustment.label).label("label"),
                        func.sum(adjustment.amount).label("discount"),
                        order.total, order.paid_at)
                 .join(order, order.order_id == adjustment.order_id)
                 .where(and_(order.placed_on >= start, order.placed_on <= end,
                             order.currency == currency, adjustment.currency == currency))
                 .group_by(adjustment.kind, adjustment.source_id, adjustment.order_id,
                           order.total, order.paid_at)
                 .subquery())
    discount = func.sum(per_order.c.discount)
    query = (select(per_order.c.kind, per_order.c.source_id,
                    func.max(per_order.c.label).label("label"),
                    func.count().label("orders"),
                    func.count(per_order.c.paid_at).label("paid_orders"),
                    discount.label("discount"), func.sum(per_order.c.total).label("gmv"))
             .group_by(per_order.c.kind, per_order.c.source_id)
             .order_by(discount.desc(), per_order.c.kind, per_order.c.source_id).limit(limit))
    with db.read() as session:
        rows = [{"kind": row.kind, "source_id": row.source_id, "label": row.label,
                 "orders": int(row.orders), "paid_orders": int(row.paid_orders),
                 "discount": int(row.discount or 0), "gmv": int(row.gmv or 0)}
                for row in session.execute(query)]
    return {"start": start, "end": end, "currency": currency, "rows": rows}
