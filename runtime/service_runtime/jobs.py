"""Background jobs of a worker: rows due for work, and timers.

A :class:`RowJob` works through rows of one table that still need something done (a
notification to send, a refund to submit). Its retry state lives in the row, so it
survives restarts and is shared by every replica:

- ``attempts``: tries started so far;
- ``next_attempt_at``: not before this (NULL: at once);
- ``lease_until``: a replica holds the row until then (NULL: nobody);
- ``parked_at``: given up after ``max_attempts`` tries (NULL: still trying).

A row is claimed by a conditional UPDATE (``... WHERE lease_until IS NULL OR
lease_until <= now``) whose row count says who won, which is atomic on SQLite and
PostgreSQL alike, so two replicas never run one row at once. A failed try sets the
next attempt after a jittered exponential backoff (tenacity's); the last one parks the
row, counts it in ``job_parked_total`` (alerted on) and leaves it to an operator
(:meth:`RowJob.unpark`). A row whose replica dies mid-run is taken again when its lease
expires, so ``run`` must be idempotent.

A :class:`PeriodicJob` calls one function every ``interval`` seconds (its own
conditional updates make it safe on several replicas) and backs off when it fails.

Both stop between rows when the worker's stop event is set (graceful stop: the row in
hand is finished, none is started).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import tenacity
from sqlalchemy import or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from service_runtime.db import Database
from service_runtime.ids import utcnow
from service_runtime.metrics import JOB_FAILURES, JOB_PARKED, JOB_RUNS

log = logging.getLogger(__name__)

Loop = Callable[[threading.Event], None]


class RetryLater(Exception):
    """Raised by a job's ``run`` when the try failed in an expected way (no traceback)."""


def backoff(attempt: int, first_s: float, max_s: float) -> float:
    """Seconds to wait after failed try number ``attempt`` (1, 2, ...): tenacity's
    exponential backoff with jitter, so failing rows and replicas do not retry in step."""
    wait = tenacity.wait_exponential_jitter(multiplier=first_s, max=max_s, jitter=first_s)
    state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = max(1, attempt)
    return float(wait(state))


@dataclass(frozen=True)
class JobPass:
    """What one pass over the due rows did."""

    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    parked: int = 0


@dataclass(frozen=True)
class RowJob:
    """Work through ``model``'s rows matching ``pending``, each by ``run(db, row_id, at)``.

    ``run`` does the work and marks the row done in its own transaction (so ``pending``
    no longer matches); raising means this try failed.
    """

    service: str
    name: str
    model: Any  # a mapped class with id, attempts, next_attempt_at, lease_until, parked_at
    pending: Callable[[], ColumnElement[bool]]
    run: Callable[[Database, Any, datetime], None]
    order_by: Callable[[], Any] | None = None
    max_attempts: int = 10
    first_backoff_s: float = 2.0
    max_backoff_s: float = 300.0
    lease_s: float = 60.0
    batch: int = 20
    idle_s: float = 0.5

    def _due(self, at: datetime) -> list[ColumnElement[bool]]:
        model = self.model
        return [self.pending(), model.parked_at.is_(None),
                or_(model.next_attempt_at.is_(None), model.next_attempt_at <= at),
                or_(model.lease_until.is_(None), model.lease_until <= at)]

    def _claim(self, db: Database, row_id: Any, at: datetime) -> datetime | None:
        """Take the row for ``lease_s``; the lease's end is the holder's token (or None:
        another replica has it, or it is no longer due)."""
        until = at + timedelta(seconds=self.lease_s)
        with db.transaction() as session:
            claimed = session.execute(
                update(self.model).where(self.model.id == row_id, *self._due(at))
                .values(lease_until=until, attempts=self.model.attempts + 1)
                .execution_options(synchronize_session=False)).rowcount
        return until if claimed == 1 else None

    def _release(self, db: Database, row_id: Any, lease: datetime, **values: Any) -> None:
        # Only while we still hold it: after an expired lease another replica may own it.
        with db.transaction() as session:
            session.execute(update(self.model)
                            .where(self.model.id == row_id, self.model.lease_until == lease)
                            .values(lease_until=None, **values)
                            .execution_options(synchronize_session=False))

    def _failed(self, db: Database, row_id: Any, lease: datetime, at: datetime,
                error: Exception) -> bool:
        """Schedule the next try, or park the row after the last; True if parked."""
        with db.read() as session:
            attempts = session.scalar(select(self.model.attempts)
                                      .where(self.model.id == row_id)) or 0
        JOB_FAILURES.labels(service=self.service, job=self.name).inc()
        extra = {"job": self.name, "row_id": str(row_id), "attempt": attempts}
        if attempts >= self.max_attempts:
            log.error("job row parked after its last attempt", extra=extra,
                      exc_info=not isinstance(error, RetryLater))
            self._release(db, row_id, lease, parked_at=at)
            JOB_PARKED.labels(service=self.service, job=self.name).inc()
            return True
        delay = backoff(attempts, self.first_backoff_s, self.max_backoff_s)
        log.warning("job row failed; retrying later", extra={**extra, "retry_in_s": delay},
                    exc_info=not isinstance(error, RetryLater))
        self._release(db, row_id, lease, next_attempt_at=at + timedelta(seconds=delay))
        return False

    def run_due(self, db: Database, at: datetime | None = None,
                stop: threading.Event | None = None) -> JobPass:
        """One pass: claim each due row (oldest first), run it, record the outcome."""
        at = at or utcnow()
        order = self.order_by() if self.order_by is not None else self.model.id
        with db.read() as session:
            ids = list(session.scalars(select(self.model.id).where(*self._due(at))
                                       .order_by(order).limit(self.batch)))
        claimed = succeeded = failed = parked = 0
        for row_id in ids:
            if stop is not None and stop.is_set():
                break
            lease = self._claim(db, row_id, at)
            if lease is None:
                continue
            claimed += 1
            JOB_RUNS.labels(service=self.service, job=self.name).inc()
            try:
                self.run(db, row_id, at)
            except Exception as error:
                failed += 1
                parked += self._failed(db, row_id, lease, at, error)
                continue
            self._release(db, row_id, lease)
            succeeded += 1
        return JobPass(claimed, succeeded, failed, parked)

    def unpark(self, db: Database) -> int:
        """Give every parked row a fresh set of attempts (an operator fixed the cause)."""
        with db.transaction() as session:
            return session.execute(
                update(self.model).where(self.model.parked_at.is_not(None), self.pending())
                .values(parked_at=None, attempts=0, next_attempt_at=None, lease_until=None)
                .execution_options(synchronize_session=False)).rowcount

    def loop(self, db: Database) -> Loop:
        """The worker loop: passes until stopped, pausing when nothing is due."""

        def run_pass(stop: threading.Event) -> bool:
            return self.run_due(db, stop=stop).claimed >= self.batch

        return _forever(self.service, self.name, run_pass, self.idle_s, self.first_backoff_s)


@dataclass(frozen=True)
class PeriodicJob:
    """Call ``tick(db, now)`` every ``interval_s``; it returns True when more is waiting
    (go again at once). A failing tick is retried after a jittered backoff."""

    service: str
    name: str
    tick: Callable[[Database, datetime], bool]
    interval_s: float = 1.0

    def loop(self, db: Database) -> Loop:
        def run_pass(stop: threading.Event) -> bool:
            JOB_RUNS.labels(service=self.service, job=self.name).inc()
            return self.tick(db, utcnow())

        return _forever(self.service, self.name, run_pass, self.interval_s, self.interval_s)


def _forever(service: str, name: str, run_pass: Callable[[threading.Event], bool],
             idle_s: float, first_backoff_s: float) -> Loop:
    """Passes until ``stop``; an error in a pass (the database away) backs off, growing."""

    def run(stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                busy = run_pass(stop)
                failures = 0
            except Exception:
                failures += 1
                JOB_FAILURES.labels(service=service, job=name).inc()
                delay = backoff(failures, first_backoff_s, max(60.0, first_backoff_s))
                log.exception("job pass failed; retrying", extra={"job": name,
                                                                   "retry_in_s": delay})
                stop.wait(delay)
                continue
            if not busy:
                stop.wait(idle_s)

    run.__name__ = name.replace("-", "_")
    return run
