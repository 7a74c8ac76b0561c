"""Benchmark the admin's heavy analytics reports: the database (SQL) path against DuckDB
over the service's Parquet copy.

    .venv/bin/python bench/analytics_queries.py [--events 1000000] [--repeat 3]

Generates ``--events`` behaviour events (90 days, 50,000 shoppers, a third anonymous) and
a matching order history (``--orders``, 70% paid, a few refunded) straight into a fresh,
migrated SQLite database of the analytics service; flushes them to Parquet the way the
worker does (``analytics.warehouse.flush``, timed); then times the funnel (30 days), sales
by day (90 days) and weekly retention (12 cohorts, 8 weeks after) on both paths, checks
the answers are the same, and prints the median milliseconds and the ratio SQL / DuckDB.

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics import engine, reports, retention, warehouse
from analytics.app import create_app
from analytics.definition import DEFINITION
from analytics.domain import SalesGrouping
from analytics.models import OrderFact
from service_runtime.migrate import upgrade

END = date(2026, 11, 30)
DAYS = 90
USERS = 50_000
TYPES = ["page_view"] * 60 + ["click"] * 15 + ["search"] * 10 + ["add_to_cart"] * 10 + \
    ["remove_from_cart"] * 5
CHUNK = 50_000


def generate(db: Any, events: int, orders: int, seed: int = 14) -> None:
    rng = random.Random(seed)
    start = datetime.combine(END - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    span = DAYS * 86_400
    # The events straight through the driver (SQLAlchemy's per-row type processing would
    # take most of the run), timestamps in the form SQLAlchemy stores them in SQLite.
    insert = ("INSERT INTO behaviour_events (session_id, event_id, user_id, type, "
              "occurred_at, received_at, product_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
    with db.engine.begin() as connection:
        for first in range(0, events, CHUNK):
            rows = []
            for n in range(first, min(first + CHUNK, events)):
                at = (start + timedelta(seconds=rng.randrange(span))).strftime(
                    "%Y-%m-%d %H:%M:%S.%f")
                kind = rng.choice(TYPES)
                user = rng.randrange(USERS)
                product = rng.randrange(1, 5000) \
                    if kind != "search" and rng.random() < 0.8 else None
                rows.append((f"s{user}-{n // 40}", str(n),
                             None if user % 3 == 0 else f"u{user}", kind, at, at, product))
            connection.exec_driver_sql(insert, rows)
        rows = []
        for n in range(orders):
            at = start + timedelta(seconds=rng.randrange(span))
            total = rng.randrange(1_000, 100_000)
            is_paid = rng.random() < 0.7
            rows.append({"order_id": f"o{n}", "user_id": f"u{rng.randrange(1, USERS)}",
                         "currency": "CNY", "total": total, "discount": 0, "placed_at": at,
                         "placed_on": at.date(),
                         "paid_at": at + timedelta(minutes=5) if is_paid else None,
                         "paid_amount": total if is_paid else None, "cancelled_at": None,
                         "refunded": total // 4 if is_paid and rng.random() < 0.05 else 0,
                         "updated_at": at})
        connection.execute(OrderFact.__table__.insert(), rows)


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, answer = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help=(
        "a folder to keep the database and its copy in, and to reuse them from when "
        "they are there (generating takes minutes)"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        fresh = not (folder / "analytics.db").exists()
        url = f"sqlite:///{folder}/analytics.db"
        if fresh:
            upgrade(DEFINITION, url)
        app = create_app(database=url)
        db = app.extensions["db"]
        root = folder / "warehouse"
        if fresh:
            began = time.perf_counter()
            generate(db, args.events, args.orders)
            print(f"generated {args.events:,} events and {args.orders:,} orders in "
                  f"{time.perf_counter() - began:.1f} s")
            began = time.perf_counter()
            while warehouse.flush(db, root, datetime.now(UTC)):
                pass
            print(f"flushed to Parquet in {time.perf_counter() - began:.1f} s "
                  f"({sum(p.stat().st_size for p in root.rglob('*.parquet')) / 1e6:.1f} MB)")
        month, quarter = END - timedelta(days=29), END - timedelta(days=DAYS - 1)
        cohort_from = END - timedelta(weeks=12)
        queries = {
            "funnel (30 days)": (lambda: reports.funnel(db, month, END),
                                 lambda: engine.funnel(root, month, END)),
            "sales by day (90 days)": (
                lambda: reports.sales(db, quarter, END, SalesGrouping.DAY, "CNY", 1000),
                lambda: engine.sales_by_day(root, quarter, END, "CNY", 1000)),
            "retention (12 cohorts x 8 weeks)": (
                lambda: retention.retention(db, cohort_from, END, 8),
                lambda: engine.retention(root, cohort_from, END, 8)),
        }
        print(f"{'query':34} {'SQL ms':>9} {'DuckDB ms':>10} {'SQL/DuckDB':>11}  same")
        for name, (sql, duck) in queries.items():
            sql_ms, sql_answer = timed(sql, args.repeat)
            duck_ms, duck_answer = timed(duck, args.repeat)
            print(f"{name:34} {sql_ms:9.0f} {duck_ms:10.0f} {sql_ms / duck_ms:10.1f}x  "
                  f"{'yes' if sql_answer == duck_answer else 'NO'}")
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
