"""The worker loop that counts product views for recommendations (``count_views``)."""

from __future__ import annotations

from datetime import datetime

from analytics.recommendations import VIEW_BATCH, count_views
from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob

# Views show in "viewed together" within about this long (plus SETTLE).
INTERVAL_S = 5.0


def _tick(db: Database, at: datetime) -> bool:
    return count_views(db, at) >= VIEW_BATCH  # a full batch: more are waiting


def view_counter(db: Database) -> Loop:
    return PeriodicJob(service="analytics", name="recommendation-views", tick=_tick,
                       interval_s=INTERVAL_S).loop(db)
