"""The order saga's coupon steps and what the statistics learn from orders.

On ``OrderPlaced`` with a user coupon the coupon is locked for the order (a conditional
UPDATE ``available -> locked``, only the buyer's own, only while valid), announced by
``CouponLocked``, or refused by ``CouponRejected`` (the order service cancels the order).
``OrderCancelled`` gives it back; ``PaymentConfirmed`` / ``CashOnDeliveryChosen`` make it
used. Each step is a conditional update on the status it leaves, so a redelivered or late
event changes nothing, and a coupon can never be in two orders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from event_contracts.events.marketing import CouponRejection
from event_contracts.vocabulary import AdjustmentKind
from marketing.coupon_metrics import CouponStep, coupons
from marketing.domain import CouponStatus
from marketing.models import OrderDiscount, OrderRecord, UserCoupon
from service_runtime.db import insert_if_absent
from service_runtime.outbox import Outbox
from service_runtime.projections import Projection, StatusOrder

outbox = Outbox("marketing")
ORDERS = Projection(OrderRecord, "order_id", StatusOrder("placed", "paid", "cancelled"))
# Adjustments the statistics count per source (points and shipping have no source).
COUNTED = {AdjustmentKind.MEMBER_PRICE, AdjustmentKind.TIMED_DISCOUNT,
           AdjustmentKind.FULL_REDUCTION, AdjustmentKind.COUPON}


def order_placed(session: Session, data: dict[str, Any]) -> None:
    order_id, user_id = data["order_id"], data["user_id"]
    coupon_id = data.get("user_coupon_id")
    made = ORDERS.ensure(session, order_id, user_id=user_id)
    first = ORDERS.learn(session, order_id, "placed_at", data["placed_at"],
                         currency=data["total"]["currency"], total=data["total"]["amount"],
                         user_coupon_id=coupon_id)
    if first:
        _record_discounts(session, order_id, coupon_id, data.get("adjustments") or [])
    cancelled = not made and session.scalar(
        select(OrderRecord.status).where(OrderRecord.order_id == order_id)) == "cancelled"
    if coupon_id and not cancelled:
        lock_coupon(session, order_id, user_id, coupon_id, data["placed_at"])


def _record_discounts(session: Session, order_id: str, coupon_id: str | None,
                      adjustments: list[dict[str, Any]]) -> None:
    template_id = session.scalar(select(UserCoupon.template_id)
                                 .where(UserCoupon.id == coupon_id)) if coupon_id else None
    for adjustment in adjustments:
        if adjustment["kind"] not in COUNTED:
            continue
        source = template_id if adjustment["kind"] == AdjustmentKind.COUPON else None
        source = source or adjustment.get("source_id")
        if source:
            insert_if_absent(session, OrderDiscount, order_id=order_id, source_id=source,
                             kind=adjustment["kind"], amount=adjustment["amount"]["amount"])


def lock_coupon(session: Session, order_id: str, user_id: str, coupon_id: str,
                at: datetime) -> bool:
    """Lock the buyer's coupon for the order and emit ``CouponLocked``, or emit
    ``CouponRejected`` with the reason; True if locked."""
    locked = session.execute(
        update(UserCoupon)
        .where(UserCoupon.id == coupon_id, UserCoupon.user_id == user_id,
               UserCoupon.status == CouponStatus.AVAILABLE.value,
               UserCoupon.valid_from <= at,
               or_(UserCoupon.valid_until.is_(None), UserCoupon.valid_until > at))
        .values(status=CouponStatus.LOCKED.value, order_id=order_id, locked_at=at)
        .execution_options(synchronize_session=False)).rowcount
    coupons(session, CouponStep.LOCKED, locked)
    coupon = session.get(UserCoupon, coupon_id, populate_existing=True)
    already = coupon is not None and coupon.order_id == order_id and coupon.status in (
        CouponStatus.LOCKED, CouponStatus.USED)  # the same order placed again
    ids = {"order_id": order_id, "user_id": user_id, "user_coupon_id": coupon_id}
    if locked or already:
        outbox.emit(session, "CouponLocked", key=order_id,
                    data={**ids, "locked_at": at.isoformat()})
        return True
    outbox.emit(session, "CouponRejected", key=order_id, data={
        **ids, "reason": rejection(coupon, user_id, at).value, "rejected_at": at.isoformat()})
    return False


def rejection(coupon: UserCoupon | None, user_id: str, at: datetime) -> CouponRejection:
    if coupon is None or coupon.user_id != user_id:
        return CouponRejection.UNKNOWN
    if coupon.status == CouponStatus.EXPIRED or (
            coupon.status == CouponStatus.AVAILABLE and coupon.valid_until is not None
            and coupon.valid_until <= at):
        return CouponRejection.EXPIRED
    return CouponRejection.NOT_AVAILABLE


def order_cancelled(session: Session, data: dict[str, Any]) -> None:
    """The order's locked coupon is available again (a used one stays used)."""
    ORDERS.ensure(session, data["order_id"], user_id=data["user_id"])
    ORDERS.advance(session, data["order_id"], "cancelled")
    released = session.execute(
        update(UserCoupon)
        .where(UserCoupon.order_id == data["order_id"],
               UserCoupon.status == CouponStatus.LOCKED.value)
        .values(status=CouponStatus.AVAILABLE.value, order_id=None, locked_at=None)
        .execution_options(synchronize_session=False)).rowcount
    coupons(session, CouponStep.RELEASED, released)


def order_paid(session: Session, data: dict[str, Any], at: datetime,
               counts_as_paid: bool = True) -> None:
    """The order's locked coupon is used. ``counts_as_paid``: the money arrived (not a
    cash-on-delivery choice), so the order counts in the GMV."""
    used = session.execute(
        update(UserCoupon)
        .where(UserCoupon.order_id == data["order_id"],
               UserCoupon.status == CouponStatus.LOCKED.value)
        .values(status=CouponStatus.USED.value, used_at=at)
        .execution_options(synchronize_session=False)).rowcount
    coupons(session, CouponStep.USED, used)
    if counts_as_paid:
        ORDERS.ensure(session, data["order_id"], user_id=data["user_id"])
        if ORDERS.advance(session, data["order_id"], "paid"):
            ORDERS.learn(session, data["order_id"], "paid_at", at)
