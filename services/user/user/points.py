"""Moving a member's points, one ledger entry per movement.

Every function works in its caller's transaction on a member row the caller holds
(:func:`member_for_update`), so movements of one member never interleave. The balance is
never negative: what a clawback cannot take from it becomes a debt, and every later credit
settles the debt first (a member in debt has a zero balance). The points are kept in lots
(what was credited together), spent oldest first, so expiry knows what is left of each;
points locked by an order that is cancelled go back to the lots they came from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.membership import LEVELS
from service_runtime.db import insert_if_absent
from user.models import Member, PointsLedgerEntry, PointsLockedLot, PointsLot

# The kinds of ledger entries.
EARN, LOCK, RELEASE, SPEND, RETURN = "earn", "lock", "release", "spend", "return"
CLAWBACK, DEBT_SETTLED, EXPIRE, GRANT = "clawback", "debt_settled", "expire", "grant"
KINDS = (EARN, LOCK, RELEASE, SPEND, RETURN, CLAWBACK, DEBT_SETTLED, EXPIRE, GRANT)


def member_for_update(session: Session, user_id: str, at: datetime) -> Member:
    """The member's row, created at the first level if new, held until the transaction ends."""
    insert_if_absent(session, Member, user_id=user_id, growth=0, level=LEVELS[0].level.value,
                     points_balance=0, points_locked=0, points_debt=0, updated_at=at)
    return session.scalars(
        select(Member).where(Member.user_id == user_id).with_for_update()
        .execution_options(populate_existing=True)).one()


def _entry(session: Session, member: Member, kind: str, order_id: str | None, at: datetime,
           *, delta: int = 0, locked_delta: int = 0, debt_delta: int = 0,
           growth_delta: int = 0) -> None:
    member.updated_at = at
    session.add(PointsLedgerEntry(
        user_id=member.user_id, kind=kind, order_id=order_id, delta=delta,
        locked_delta=locked_delta, debt_delta=debt_delta, growth_delta=growth_delta,
        balance_after=member.points_balance, locked_after=member.points_locked,
        debt_after=member.points_debt, at=at))


def _take_from_lots(session: Session, user_id: str, points: int) -> list[tuple[int, int]]:
    """Spend ``points`` of the member's lots, oldest first; (lot id, points) taken."""
    lots = session.scalars(select(PointsLot).where(PointsLot.user_id == user_id,
                                                   PointsLot.remaining > 0)
                           .order_by(PointsLot.credited_at, PointsLot.id))
    taken_from = []
    for lot in lots:
        if points <= 0:
            break
        taken = min(points, lot.remaining)
        lot.remaining -= taken
        points -= taken
        taken_from.append((lot.id, taken))
    return taken_from


def lock(session: Session, user_id: str, points: int, order_id: str, at: datetime) -> bool:
    """Hold ``points`` of the balance for an unpaid order, if the balance has them.

    One conditional UPDATE decides: of two orders racing for the same points, the second
    finds the balance already lowered (PostgreSQL re-checks the condition on the row the
    first committed), so both can never succeed.
    """
    member_for_update(session, user_id, at)
    taken = session.execute(
        update(Member).where(Member.user_id == user_id, Member.points_balance >= points)
        .values(points_balance=Member.points_balance - points,
                points_locked=Member.points_locked + points)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        return False
    member = member_for_update(session, user_id, at)  # re-read what the UPDATE wrote
    for lot_id, taken in _take_from_lots(session, user_id, points):
        session.add(PointsLockedLot(order_id=order_id, lot_id=lot_id, points=taken))
    _entry(session, member, LOCK, order_id, at, delta=-points, locked_delta=points)
    return True


def spend(session: Session, member: Member, points: int, order_id: str, at: datetime) -> None:
    """The order was paid: its locked points are gone for good."""
    member.points_locked -= points
    _entry(session, member, SPEND, order_id, at, locked_delta=-points)


def credit(session: Session, member: Member, kind: str, points: int, order_id: str | None,
           at: datetime, *, growth: int = 0, from_locked: bool = False) -> None:
    """Add ``points`` to the balance (and ``growth``), then settle any debt from them.

    ``from_locked``: the points were held by an order (a release), not new.
    """
    member.points_balance += points
    member.growth += growth
    if from_locked:
        member.points_locked -= points
    fresh = _put_back(session, order_id or "", points) if from_locked else points
    if fresh > 0:
        session.add(PointsLot(user_id=member.user_id, kind=kind, order_id=order_id,
                              amount=fresh, remaining=fresh, credited_at=at))
    _entry(session, member, kind, order_id, at, delta=points, growth_delta=growth,
           locked_delta=-points if from_locked else 0)
    settled = min(member.points_debt, member.points_balance)
    if settled > 0:
        session.flush()  # the new lot is spent too, oldest first
        member.points_balance -= settled
        member.points_debt -= settled
        _take_from_lots(session, member.user_id, settled)
        _entry(session, member, DEBT_SETTLED, order_id, at, delta=-settled,
               debt_delta=-settled)


def _put_back(session: Session, order_id: str, points: int) -> int:
    """Released points go back to the lots the order's lock took them from; what found
    no lot (none should) is returned."""
    for held in session.scalars(select(PointsLockedLot)
                                .where(PointsLockedLot.order_id == order_id)):
        lot = session.get(PointsLot, held.lot_id)
        if lot is not None and points > 0:
            back = min(points, held.points)
            lot.remaining += back
            points -= back
    return points


def claw_back(session: Session, member: Member, points: int, order_id: str, at: datetime,
              *, growth: int = 0) -> None:
    """Take back ``points`` (and ``growth``): from the balance, the rest as a debt."""
    taken = min(points, member.points_balance)
    owed = points - taken
    member.points_balance -= taken
    member.points_debt += owed
    member.growth = max(0, member.growth - growth)
    _take_from_lots(session, member.user_id, taken)
    _entry(session, member, CLAWBACK, order_id, at, delta=-taken, debt_delta=owed,
           growth_delta=-growth)


def expire_lot(session: Session, member: Member, lot: PointsLot, at: datetime) -> int:
    """What is left of ``lot`` expires (at most the balance); the points expired."""
    points = min(lot.remaining, member.points_balance)
    lot.remaining = 0
    if points <= 0:
        return 0
    member.points_balance -= points
    _entry(session, member, EXPIRE, lot.order_id, at, delta=-points)
    return points
