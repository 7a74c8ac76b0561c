"""Weekly cohort retention.

A user's cohort is the week (Monday 00:00 UTC to the next) of their first order, any
order ever placed (a cancelled one too: they became a buyer then). A cohort's user is
active in week +k when, in that week, they placed an order or sent a tracked event while
signed in. Retention at +k = active users / cohort size (week +0 is 1 by definition).

Weeks are numbered from the epoch (week 0 holds 1970-01-01, a Thursday; week 1 starts
Monday 1970-01-05), the same number in SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, and_, func, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from analytics.models import BehaviourEvent, OrderFact
from service_runtime.db import Database
from service_runtime.errors import InvalidInput

EPOCH = date(1970, 1, 1)
MAX_COHORTS = 53
MAX_WEEKS_AFTER = 52


class CohortPeriod(StrEnum):
    WEEK = "week"


def week_number(day: date) -> int:
    return ((day - EPOCH).days + 3) // 7


def week_start(number: int) -> date:
    return EPOCH + timedelta(days=number * 7 - 3)


@dataclass(frozen=True)
class Window:
    """The cohorts asked for (first and last week number) and how many weeks after."""

    first: int
    last: int
    weeks: int


def window(start: date, end: date, weeks: int) -> Window:
    """The cohorts whose week starts from ``start`` to ``end``'s week."""
    if end < start:
        raise InvalidInput("'to' is before 'from'")
    first, last = week_number(start), week_number(end)
    if start != week_start(first):
        first += 1  # a cohort is asked for whole: from the first Monday on
    if last - first + 1 > MAX_COHORTS:
        raise InvalidInput(f"at most {MAX_COHORTS} cohorts")
    return Window(first, last, weeks)


class _week(FunctionElement):
    """The epoch week number of a timestamp, computed in the database."""

    type = Integer()
    inherit_cache = True


@compiles(_week, "sqlite")
def _week_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    return f"CAST((julianday({compiler.process(value, **kw)}) - 2440587.5 + 3) / 7 AS INTEGER)"


@compiles(_week, "postgresql")
def _week_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    return (f"CAST(FLOOR((EXTRACT(EPOCH FROM {compiler.process(value, **kw)}) / 86400 + 3)"
            f" / 7) AS INTEGER)")


def week_of(value: ColumnElement[Any]) -> ColumnElement[int]:
    return _week(value)  # type: ignore[return-value]


def matrix(sizes: dict[int, int], active: dict[tuple[int, int], int],
           w: Window) -> dict[str, Any]:
    """The answer from the cohort sizes and the active users per (cohort, week after)."""
    cohorts = []
    for cohort in range(w.first, w.last + 1):
        size = sizes.get(cohort, 0)
        if not size:
            continue
        counts = [active.get((cohort, k), 0) for k in range(w.weeks + 1)]
        cohorts.append({"week_start": week_start(cohort), "users": size, "active": counts,
                        "retention": [round(n / size, 4) for n in counts]})
    return {"cohort": CohortPeriod.WEEK.value, "weeks": w.weeks, "cohorts": cohorts}


def retention(db: Database, start: date, end: date, weeks: int) -> dict[str, Any]:
    """The retention matrix, as GROUP BY queries in the service's database."""
    w = window(start, end, weeks)
    since = datetime.combine(week_start(w.first), time(), UTC)
    until = datetime.combine(week_start(w.last + w.weeks + 1), time(), UTC)
    order, event = OrderFact, BehaviourEvent
    firsts = (select(order.user_id.label("user_id"),
                     func.min(week_of(order.placed_at)).label("cohort"))
              .where(order.user_id.is_not(None), order.placed_at.is_not(None))
              .group_by(order.user_id).subquery())
    activity = union(
        select(event.user_id.label("user_id"), week_of(event.occurred_at).label("week"))
        .where(event.user_id.is_not(None), event.occurred_at >= since,
               event.occurred_at < until),
        select(order.user_id.label("user_id"), week_of(order.placed_at).label("week"))
        .where(order.user_id.is_not(None), order.placed_at >= since,
               order.placed_at < until)).subquery()
    in_window = and_(firsts.c.cohort >= w.first, firsts.c.cohort <= w.last)
    after = activity.c.week - firsts.c.cohort
    active_query = (select(firsts.c.cohort, after.label("after"), func.count().label("users"))
                    .join(activity, activity.c.user_id == firsts.c.user_id)
                    .where(in_window, after >= 0, after <= w.weeks)
                    .group_by(firsts.c.cohort, after))
    size_query = (select(firsts.c.cohort, func.count().label("users")).where(in_window)
                  .group_by(firsts.c.cohort))
    with db.read() as session:
        sizes = {int(c): int(n) for c, n in session.execute(size_query)}
        active = {(int(c), int(k)): int(n) for c, k, n in session.execute(active_query)}
    return matrix(sizes, active, w)
