"""The membership events: built from the member's rows, added to the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from event_contracts.membership import LEVELS, level_for_growth
from service_runtime.db import insert_if_absent
from service_runtime.ids import utcnow
from service_runtime.outbox import Outbox
from user.models import Member, MemberLevelReachedRow

outbox = Outbox("user")
RANK = {level.level.value: rank for rank, level in enumerate(LEVELS)}


def points_locked(session: Session, order_id: str, user_id: str, points: int,
                  at: datetime) -> None:
    outbox.emit(session, "PointsLocked", key=order_id, data={
        "order_id": order_id, "user_id": user_id, "points": points,
        "locked_at": at.isoformat()})


def points_rejected(session: Session, order_id: str, user_id: str, points: int,
                    at: datetime) -> None:
    outbox.emit(session, "PointsRejected", key=order_id, data={
        "order_id": order_id, "user_id": user_id, "points": points,
        "reason": "not_enough_points", "rejected_at": at.isoformat()})


class Snapshot:
    """A member's standing before a use case changed it: what to announce afterwards."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.before = (member.level, member.growth, member.points_balance)

    def announce(self, session: Session, at: datetime) -> None:
        """Move the member to the level its growth earns; emit ``MemberLevelReached`` for
        each level climbed to for the first time, and ``MembershipChanged`` if anything
        others see (level, growth, balance) changed."""
        member = self.member
        previous = member.level
        member.level = level_for_growth(member.growth).level.value
        for level in LEVELS[RANK[previous] + 1:RANK[member.level] + 1]:
            code = level.level.value
            if insert_if_absent(session, MemberLevelReachedRow, user_id=member.user_id,
                                level=code, reached_at=at):
                outbox.emit(session, "MemberLevelReached", key=member.user_id, data={
                    "user_id": member.user_id, "level": code, "previous_level": previous,
                    "reached_at": at.isoformat()})
        if (member.level, member.growth, member.points_balance) != self.before:
            # Read while the member's row is held: a later change of the member (another
            # partition's event waiting for the row) always carries a later time, which
            # is what copies keeping the newest ``changed_at`` rely on.
            changed_at = max(at, utcnow())
            member.updated_at = changed_at
            outbox.emit(session, "MembershipChanged", key=member.user_id, data={
                "user_id": member.user_id, "level": member.level, "growth": member.growth,
                "points_balance": member.points_balance,
                "changed_at": changed_at.isoformat()})
