"""Answers counted over many products (facets, a search's ranking), kept per process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Product
from service_runtime.db import Database


class CatalogCache:
    """Answers per database and key, kept while the catalog is unchanged.

    The catalog's version is the latest ``updated_at`` of its products (an index lookup):
    every change that can move an answer (a new product, an edit, a price, a stock move)
    sets it. While orders keep moving stock the version changes many times a second, so
    an answer is also kept for ``fresh_for`` seconds whatever the version: it lags a
    change by at most that, and a busy catalog computes each answer at most once a
    second per process. A process keeps at most ``size`` answers and starts over when
    full.
    """

    def __init__(self, size: int = 1024, fresh_for: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.fresh_for = fresh_for
        self.clock = clock  # seconds; tests step it instead of sleeping
        self._answers: dict[tuple, tuple[datetime | None, float, Any]] = {}

    def get(self, db: Database, session: Session, key: tuple, compute: Callable[[], Any]
            ) -> Any:
        entry = self._answers.get((db.url, *key))
        now = self.clock()
        if entry is not None and now - entry[1] < self.fresh_for:
            return entry[2]
        version = session.scalar(select(func.max(Product.updated_at)))
        if entry is not None and entry[0] == version:
            self._answers[(db.url, *key)] = (version, now, entry[2])
            return entry[2]
        answer = compute()
        if len(self._answers) >= self.size:
            self._answers.clear()
        self._answers[(db.url, *key)] = (version, now, answer)
        return answer
