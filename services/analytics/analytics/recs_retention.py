"""Recommendations forget, after ``ANALYTICS_RECS_COUNTED_DAYS``, which orders and which
(visit, product) they counted: those rows only keep a second delivery (or a second view
in the same visit) from counting again, and without pruning they grew by one row per
order and per product viewed in each visit, for ever. The counts they fed stay."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select, tuple_, update

from analytics.recs_models import RecBasket, RecSessionProduct
from analytics.settings import AnalyticsSettings
from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob
from service_runtime.service import LoopFactory

BATCH = 5000  # rows a transaction deletes or dates (then the next batch at once)
INTERVAL_S = 3600.0


def prune_counted(db: Database, kept_for: timedelta, at: datetime) -> int:
    """Delete up to ``BATCH`` rows per table counted before ``at - kept_for``, and date up
    to ``BATCH`` undated ones (written before the column existed, or by the release
    before) as counted ``at``; how many rows were deleted or dated."""
    changed = 0
    for table, key in ((RecSessionProduct, (RecSessionProduct.session_id,
                                            RecSessionProduct.product_id)),
                       (RecBasket, (RecBasket.order_id,))):
        with db.transaction() as session:
            old = select(*key).where(table.counted_at < at - kept_for).limit(BATCH)
            undated = select(*key).where(table.counted_at.is_(None)).limit(BATCH)
            changed += session.execute(
                delete(table).where(_key_in(key, old))
                .execution_options(synchronize_session=False)).rowcount
            changed += session.execute(
                update(table).where(_key_in(key, undated)).values(counted_at=at)
                .execution_options(synchronize_session=False)).rowcount
    return changed


def _key_in(key: tuple[Any, ...], rows: Select[Any]) -> Any:
    """The rows whose primary key is among ``rows``' (a LIMITed subquery: a batch)."""
    return key[0].in_(rows.scalar_subquery()) if len(key) == 1 else tuple_(*key).in_(rows)


def counted_pruner(settings: AnalyticsSettings) -> LoopFactory:
    kept_for = timedelta(days=settings.recs_counted_days)

    def tick(db: Database, at: datetime) -> bool:
        return prune_counted(db, kept_for, at) >= BATCH  # a full batch: more are waiting

    def loop(db: Database) -> Loop:
        return PeriodicJob(service="analytics", name="recommendation-pruning", tick=tick,
                           interval_s=INTERVAL_S).loop(db)

    return loop
