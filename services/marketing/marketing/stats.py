"""Per coupon template and promotion: issued, used, discount given, orders and GMV.

Discount, orders and GMV count paid orders only (an order placed and then cancelled
before payment gave nothing away); ``issued`` and ``used`` count user coupons.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from marketing.domain import CouponStatus
from marketing.models import CouponTemplate, OrderDiscount, OrderRecord, Promotion, UserCoupon
from service_runtime.db import Database
from service_runtime.money import money_json

MAX_ROWS = 500


def marketing_stats(db: Database) -> dict[str, Any]:
    with db.read() as session:
        paid = (select(OrderDiscount.source_id,
                       func.coalesce(func.sum(OrderDiscount.amount), 0),
                       func.count(OrderRecord.order_id),
                       func.coalesce(func.sum(OrderRecord.total), 0))
                .join(OrderRecord, OrderRecord.order_id == OrderDiscount.order_id)
                .where(OrderRecord.paid_at.is_not(None))
                .group_by(OrderDiscount.source_id))
        by_source = {source: (int(discount), int(orders), int(gmv))
                     for source, discount, orders, gmv in session.execute(paid)}
        used = {template_id: int(count) for template_id, count in session.execute(
            select(UserCoupon.template_id, func.count())
            .where(UserCoupon.status == CouponStatus.USED.value)
            .group_by(UserCoupon.template_id))}
        templates = list(session.scalars(
            select(CouponTemplate).order_by(CouponTemplate.id.desc()).limit(MAX_ROWS)))
        promotions = list(session.scalars(
            select(Promotion).order_by(Promotion.id.desc()).limit(MAX_ROWS)))

    def figures(source_id: str, currency: str) -> dict[str, Any]:
        discount, orders, gmv = by_source.get(source_id, (0, 0, 0))
        return {"discount": money_json(discount, currency), "orders": orders,
                "gmv": money_json(gmv, currency)}

    return {
        "coupons": [{"template_id": t.id, "name": t.name, "kind": t.kind, "status": t.status,
                     "issued": t.issued, "used": used.get(t.id, 0),
                     **figures(t.id, t.currency)} for t in templates],
        "promotions": [{"promotion_id": p.id, "name": p.name, "kind": p.kind,
                        "status": p.status, **figures(p.id, p.currency)} for p in promotions],
    }
