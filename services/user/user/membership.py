"""Membership's use cases: the points of an order through its life, and admin grants.

Each order event records a fact about the order (placed, cancelled, paid, completed,
refunded so far), then :func:`_settle` moves the member's points to what the facts add up
to, remembering on the order what it already moved. So every handler is idempotent (a
redelivered fact moves nothing) and facts arriving in any order end in the same state:

- placed with points: they are locked (``PointsLocked``) or refused (``PointsRejected``);
- cancelled while locked: they go back to the balance; paid while locked: spent;
- spent and refunded: ``floor(points_used * refunded_total / payable)`` of them come back
  (all of them once fully refunded), less what came back before;
- completed: ``floor((payable - refunded so far) / 100)`` points earned, and as much
  growth; refunded after that: the same share of what was earned is clawed back (a debt
  when the balance is short), proportionally to what was refunded since.

Every change of level, growth or balance emits ``MembershipChanged``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service_runtime.db import Database, insert_if_absent
from user import points
from user.membership_events import Snapshot, points_locked, points_rejected
from user.models import MemberOrder

FEN_PER_POINT_EARNED = 100  # 1 point (and 1 growth) per whole yuan paid


def _order_for_update(session: Session, order_id: str, user_id: str, at: datetime) -> MemberOrder:
    insert_if_absent(session, MemberOrder, order_id=order_id, user_id=user_id, placed=False,
                     payable=0, points_used=0, points_state="none", cancelled=False,
                     paid=False, completed=False, refunded_total=0, fully_refunded=False,
                     points_returned=0, earned=False, points_earned=0,
                     refunded_when_earned=0, points_clawed_back=0, updated_at=at)
    return session.scalars(
        select(MemberOrder).where(MemberOrder.order_id == order_id).with_for_update()
        .execution_options(populate_existing=True)).one()


def order_placed(session: Session, order_id: str, user_id: str, payable: int,
                 points_used: int, at: datetime) -> None:
    order = _order_for_update(session, order_id, user_id, at)
    if order.placed:
        return
    order.placed, order.payable, order.points_used = True, payable, points_used
    touched = None
    if points_used > 0 and not order.cancelled:
        touched = Snapshot(points.member_for_update(session, user_id, at))
        if points.lock(session, user_id, points_used, order_id, at):
            order.points_state = "locked"
            points_locked(session, order_id, user_id, points_used, at)
        else:
            order.points_state = "rejected"
            points_rejected(session, order_id, user_id, points_used, at)
    _settle(session, order, at, touched)


def order_cancelled(session: Session, order_id: str, user_id: str, at: datetime) -> None:
    order = _order_for_update(session, order_id, user_id, at)
    if not order.cancelled:
        order.cancelled = True
        _settle(session, order, at)


def order_paid(session: Session, order_id: str, user_id: str, at: datetime) -> None:
    """Paid, or cash on delivery chosen: the order's locked points are spent."""
    order = _order_for_update(session, order_id, user_id, at)
    if not order.paid:
        order.paid = True
        _settle(session, order, at)


def order_completed(session: Session, order_id: str, user_id: str, at: datetime) -> None:
    order = _order_for_update(session, order_id, user_id, at)
    if not order.completed:
        order.completed = True
        _settle(session, order, at)


def refund_issued(session: Session, order_id: str, user_id: str, refunded_total: int,
                  fully_refunded: bool, at: datetime) -> None:
    """Refunds are cumulative: the largest ``refunded_total`` seen is what counts."""
    order = _order_for_update(session, order_id, user_id, at)
    if refunded_total <= order.refunded_total and (order.fully_refunded or not fully_refunded):
        return  # nothing new (a redelivery, or an older refund arriving late)
    order.refunded_total = max(order.refunded_total, refunded_total)
    order.fully_refunded = order.fully_refunded or fully_refunded
    _settle(session, order, at)


def _share(points_: int, part: int, whole: int, everything: bool) -> int:
    if everything:
        return points_
    if whole <= 0:
        return 0
    return min(points_, points_ * max(0, part) // whole)


def _settle(session: Session, order: MemberOrder, at: datetime,
            touched: Snapshot | None = None) -> None:
    """Move the member's points to what the order's facts add up to (``touched``: the
    member as it was before this use case, if it already changed it)."""
    order.updated_at = at
    if not order.placed:
        return

    def member() -> Snapshot:
        nonlocal touched
        if touched is None:
            touched = Snapshot(points.member_for_update(session, order.user_id, at))
        return touched

    if order.points_state == "locked" and order.cancelled:
        points.credit(session, member().member, points.RELEASE, order.points_used,
                      order.order_id, at, from_locked=True)
        order.points_state = "released"
    elif order.points_state == "locked" and order.paid:
        points.spend(session, member().member, order.points_used, order.order_id, at)
        order.points_state = "spent"
    if order.points_state == "spent":
        due = _share(order.points_used, order.refunded_total, order.payable,
                     order.fully_refunded)
        if due > order.points_returned:
            points.credit(session, member().member, points.RETURN,
                          due - order.points_returned, order.order_id, at)
            order.points_returned = due
    if order.completed and not order.earned:
        paid = 0 if order.fully_refunded else max(0, order.payable - order.refunded_total)
        order.earned, order.points_earned = True, paid // FEN_PER_POINT_EARNED
        order.refunded_when_earned = order.refunded_total
        if order.points_earned:
            points.credit(session, member().member, points.EARN, order.points_earned,
                          order.order_id, at, growth=order.points_earned)
    if order.earned and order.points_earned:
        due = _share(order.points_earned, order.refunded_total - order.refunded_when_earned,
                     order.payable - order.refunded_when_earned, order.fully_refunded)
        if due > order.points_clawed_back:
            owed = due - order.points_clawed_back
            points.claw_back(session, member().member, owed, order.order_id, at, growth=owed)
            order.points_clawed_back = due
    if touched is not None:
        touched.announce(session, at)


def grant(db: Database, user_id: str, points_: int, growth: int, at: datetime) -> None:
    """An admin gives a member points and/or growth (demos, goodwill): the same ledger,
    lots, debt settlement and announcements as points earned from an order."""
    with db.transaction() as session:
        touched = Snapshot(points.member_for_update(session, user_id, at))
        points.credit(session, touched.member, points.GRANT, points_, None, at, growth=growth)
        touched.announce(session, at)
