"""What ``GET /users/me/membership`` shows: the member's level, progress, points, perks
and a page of the points ledger (newest first)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from event_contracts.membership import LEVELS, Level, level_info
from service_runtime.db import Database
from service_runtime.paging import page_of
from user.models import Member, PointsLedgerEntry

CURRENCY = "CNY"


def _level(level: Level) -> dict[str, Any]:
    return {"code": level.level.value, "name": level.name_zh, "min_growth": level.min_growth}


def membership_of(db: Database, user_id: str, limit: int, cursor: int | None) -> dict[str, Any]:
    with db.read() as session:
        member = session.get(Member, user_id)
        query = select(PointsLedgerEntry).where(PointsLedgerEntry.user_id == user_id)
        if cursor is not None:
            query = query.where(PointsLedgerEntry.id < cursor)
        rows = list(session.scalars(query.order_by(PointsLedgerEntry.id.desc())
                                    .limit(limit + 1)))
    growth = member.growth if member else 0
    level = level_info(member.level) if member else LEVELS[0]
    rank = LEVELS.index(level)
    following = LEVELS[rank + 1] if rank + 1 < len(LEVELS) else None
    if following is None:
        progress, next_level = 100, None
    else:
        span = following.min_growth - level.min_growth
        progress = min(100, max(0, (growth - level.min_growth) * 100 // span))
        next_level = {**_level(following), "growth_missing": max(0, following.min_growth - growth)}
    page = page_of(rows, limit, cursor_of=lambda entry: str(entry.id))
    return {
        "level": _level(level),
        "growth": growth,
        "next_level": next_level,
        "progress_percent": progress,
        "points": {"balance": member.points_balance if member else 0,
                   "locked": member.points_locked if member else 0,
                   "debt": member.points_debt if member else 0},
        "perks": {"free_shipping_threshold": {"amount": level.free_shipping_threshold,
                                              "currency": CURRENCY},
                  "member_prices": rank > 0},
        "history": {"items": page.items, "next_cursor": page.next_cursor},
    }
