"""The heavy admin reports (funnel, sales by day, retention) in DuckDB over the Parquet
copy of the service's data (``analytics.warehouse``): columnar scans instead of the
database's row-by-row ones, and no load on the database the writes go to. The answers
are the SQL path's (``analytics.reports``, ``analytics.retention``), as of the last
flush; a test holds the two to the same figures.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import duckdb

from analytics import retention as cohorts
from analytics.domain import EventType, FunnelStep, average, conversion, day_window
from analytics.warehouse import EVENT_SCHEMA, FACTS, events_dir, facts_path

WEEK = "CAST(FLOOR((epoch({}) / 86400 + 3) / 7) AS INTEGER)"


_DATABASES: dict[Path, duckdb.DuckDBPyConnection] = {}
_LOCK = threading.Lock()


def _connect(root: Path) -> duckdb.DuckDBPyConnection:
    """A cursor of the process's in-memory DuckDB (opening one costs ~70 ms) whose views
    ``events``, ``order_facts``, ... read the Parquet files as they are now (an empty
    view for a copy not written yet)."""
    with _LOCK:
        database = _DATABASES.get(root)
        if database is None:
            database = _DATABASES[root] = duckdb.connect(config={"threads": 2})
    con = database.cursor()
    parts = events_dir(root)
    if parts.is_dir() and any(parts.glob("part-*.parquet")):
        source = f"SELECT * FROM read_parquet('{parts}/part-*.parquet')"
    else:
        source = _empty(EVENT_SCHEMA)
    con.execute(f"CREATE OR REPLACE TEMP VIEW events AS {source}")
    for table, (_model, schema) in FACTS.items():
        path = facts_path(root, table)
        source = f"SELECT * FROM read_parquet('{path}')" if path.exists() else _empty(schema)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {source}")
    return con


def _empty(schema: Any) -> str:
    types = {"int64": "BIGINT", "int32": "INTEGER", "string": "VARCHAR",
             "timestamp[us]": "TIMESTAMP", "date32[day]": "DATE"}
    columns = ", ".join(f"CAST(NULL AS {types[str(f.type)]}) AS {f.name}" for f in schema)
    return f"SELECT {columns} WHERE false"


def _naive(day: date) -> datetime:
    return datetime.combine(day, time())


def funnel(root: Path, start: date, end: date) -> dict[str, Any]:
    """``reports.funnel``'s answer."""
    since, until = (value.astimezone(UTC).replace(tzinfo=None)
                    for value in day_window(start, end))
    # One scan of the events (both steps' flags per user at once), joined to the orders'.
    query = f"""
        WITH browsed AS (
            SELECT user_id,
                   max(CASE WHEN type = '{EventType.PAGE_VIEW.value}'
                            AND product_id IS NOT NULL THEN 1 ELSE 0 END) AS s1,
                   max(CASE WHEN type = '{EventType.ADD_TO_CART.value}' THEN 1 ELSE 0 END) AS s2
            FROM events WHERE user_id IS NOT NULL
              AND occurred_at >= $since AND occurred_at < $until
              AND type IN ('{EventType.PAGE_VIEW.value}', '{EventType.ADD_TO_CART.value}')
            GROUP BY user_id),
        bought AS (
            SELECT user_id, 1 AS s3, max(CASE WHEN paid_at IS NOT NULL THEN 1 ELSE 0 END) AS s4
            FROM order_facts WHERE user_id IS NOT NULL
              AND placed_at >= $since AND placed_at < $until
            GROUP BY user_id),
        per_user AS (
            SELECT coalesce(s1, 0) AS s1, coalesce(s2, 0) AS s2, coalesce(s3, 0) AS s3,
                   coalesce(s4, 0) AS s4
            FROM browsed FULL OUTER JOIN bought USING (user_id))
        SELECT coalesce(sum(s1), 0), coalesce(sum(s2), 0), coalesce(sum(s3), 0),
               coalesce(sum(s4), 0), coalesce(sum(s1), 0), coalesce(sum(s1 * s2), 0),
               coalesce(sum(s1 * s2 * s3), 0), coalesce(sum(s1 * s2 * s3 * s4), 0)
        FROM per_user"""
    with _connect(root) as con:
        sums = [int(v) for v in con.execute(query, {"since": since, "until": until}).fetchone()]
    answer, previous = [], None
    for index, step in enumerate(FunnelStep):
        users, got = sums[index], sums[4 + index]
        answer.append({"step": step.value, "users": users, "reached": got,
                       "conversion": conversion(got, previous)})
        previous = got
    return {"start": start, "end": end, "steps": answer,
            "overall_conversion": conversion(answer[-1]["reached"], answer[0]["reached"])}


def sales_by_day(root: Path, start: date, end: date, currency: str,
                 limit: int) -> dict[str, Any]:
    """``reports.sales`` grouped by day."""
    day_window(start, end)
    figures = """count(*), coalesce(sum(total), 0), count(paid_at),
                 coalesce(sum(CASE WHEN paid_at IS NOT NULL THEN paid_amount ELSE 0 END), 0),
                 coalesce(sum(refunded), 0)"""
    where = "placed_on >= $start AND placed_on <= $end AND currency = $currency"
    params = {"start": start, "end": end, "currency": currency}
    with _connect(root) as con:
        totals = con.execute(f"SELECT {figures} FROM order_facts WHERE {where}",
                             params).fetchone()
        rows = con.execute(f"SELECT placed_on, {figures} FROM order_facts WHERE {where} "
                           f"GROUP BY placed_on ORDER BY placed_on LIMIT {int(limit)}",
                           params).fetchall()
    return {"start": start, "end": end, "group_by": "day", "currency": currency,
            "rows": [{"day": row[0], **_figures(row[1:])} for row in rows],
            "totals": _figures(totals)}


def _figures(values: Any) -> dict[str, int]:
    orders, gmv, paid_orders, paid, refunded = (int(v) for v in values)
    return {"orders": orders, "gmv": gmv, "paid_orders": paid_orders, "paid": paid,
            "refunded": refunded, "average_order_value": average(gmv, orders)}


def retention(root: Path, start: date, end: date, weeks: int) -> dict[str, Any]:
    """``retention.retention``'s answer."""
    w = cohorts.window(start, end, weeks)
    params = {"first": w.first, "last": w.last, "weeks": w.weeks,
              "since": _naive(cohorts.week_start(w.first)),
              "until": _naive(cohorts.week_start(w.last + w.weeks + 1))}
    # One scan each: the cohorts' users first, then only their activity (a semi-join
    # before the de-duplication), the sizes as the rows with ``after`` -1.
    query = f"""
        WITH mine AS (
            SELECT user_id, cohort FROM (
                SELECT user_id, min({WEEK.format('placed_at')}) AS cohort FROM order_facts
                WHERE user_id IS NOT NULL AND placed_at IS NOT NULL GROUP BY user_id)
            WHERE cohort BETWEEN $first AND $last),
        activity AS (
            SELECT DISTINCT user_id, week FROM (
                SELECT user_id, {WEEK.format('occurred_at')} AS week FROM events
                WHERE occurred_at >= $since AND occurred_at < $until
                  AND user_id IN (SELECT user_id FROM mine)
                UNION ALL
                SELECT user_id, {WEEK.format('placed_at')} FROM order_facts
                WHERE placed_at >= $since AND placed_at < $until
                  AND user_id IN (SELECT user_id FROM mine)))
        SELECT cohort, -1 AS after, count(*) FROM mine GROUP BY cohort
        UNION ALL
        SELECT mine.cohort, activity.week - mine.cohort, count(*)
        FROM mine JOIN activity USING (user_id)
        WHERE activity.week - mine.cohort BETWEEN 0 AND $weeks
        GROUP BY ALL"""
    with _connect(root) as con:
        rows = con.execute(query, params).fetchall()
    sizes = {int(c): int(n) for c, k, n in rows if k == -1}
    active = {(int(c), int(k)): int(n) for c, k, n in rows if k != -1}
    return cohorts.matrix(sizes, active, w)
