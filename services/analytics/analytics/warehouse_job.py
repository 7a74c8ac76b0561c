"""The worker's job that keeps the Parquet copy (``analytics.warehouse``) up to date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from analytics import warehouse
from analytics.settings import AnalyticsSettings
from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob


def warehouse_job(settings: AnalyticsSettings) -> Callable[[Database], Loop]:
    root = settings.warehouse()

    def tick(db: Database, now: datetime) -> bool:
        return warehouse.flush(db, root, now)

    return PeriodicJob(service="analytics", name="warehouse-flush", tick=tick,
                       interval_s=settings.warehouse_flush_interval_s).loop
