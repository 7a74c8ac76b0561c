"""Points expire ``POINTS_EXPIRY_DAYS`` after they were credited (0: never).

A periodic job of the worker takes what is left of each lot credited before the cutoff,
one member per transaction (the member's row held, so it cannot race a lock or a credit),
and announces the lower balance. Several workers may run it: a lot emptied by one is no
longer due for the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob
from user import points
from user.membership_events import Snapshot
from user.models import PointsLot
from user.settings import UserSettings

BATCH = 100  # members per pass


def expire_points(db: Database, at: datetime, days: int, batch: int = BATCH) -> int:
    """Expire what is left of the lots older than ``days``; the members touched."""
    if days <= 0:
        return 0
    cutoff = at - timedelta(days=days)
    due = (PointsLot.remaining > 0, PointsLot.credited_at <= cutoff)
    with db.read() as session:
        members = list(dict.fromkeys(session.scalars(
            select(PointsLot.user_id).where(*due).order_by(PointsLot.credited_at)
            .limit(batch))))
    for user_id in members:
        with db.transaction() as session:
            touched = Snapshot(points.member_for_update(session, user_id, at))
            for lot in session.scalars(select(PointsLot).where(PointsLot.user_id == user_id, *due)
                                       .order_by(PointsLot.credited_at, PointsLot.id)):
                points.expire_lot(session, touched.member, lot, at)
            touched.announce(session, at)
    return len(members)


def points_expiry(settings: UserSettings) -> Callable[[Database], Loop]:
    """The worker loop of the expiry, every ``POINTS_EXPIRY_INTERVAL_S``."""
    days = settings.points_expiry_days

    def tick(db: Database, at: datetime) -> bool:
        return expire_points(db, at, days) >= BATCH

    return PeriodicJob(service="user", name="points-expiry", tick=tick,
                       interval_s=settings.points_expiry_interval_s).loop
