"""Prometheus metrics shared by every service.

Under gunicorn with several workers, ``PROMETHEUS_MULTIPROC_DIR`` is set (see
``gunicorn_conf``) and ``/metrics`` aggregates every worker's values.
"""

from __future__ import annotations

import os
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

# Seconds; the gateway's histograms use the same, so its figures and the services' compare.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
MESSAGES_CONSUMED = Counter(
    "messages_consumed_total", "Events handled and committed", ["service", "topic", "group"]
)
MESSAGES_DUPLICATE = Counter(
    "messages_duplicate_total",
    "Redelivered events skipped by the inbox",
    ["service", "topic", "group"],
)
MESSAGES_FAILED = Counter(
    "messages_failed_total", "Failed handling attempts", ["service", "topic", "group"]
)
MESSAGES_DEAD_LETTERED = Counter(
    "messages_dead_lettered_total",
    "Events parked in the dead-letter topic",
    ["service", "topic", "group"],
)
CONSUMER_POLLS = Counter(
    "consumer_polls_total",
    "Polls of the broker by why they were made (a fallback poll that finds records means a"
    " wake went missing) and whether they brought records",
    ["service", "group", "reason", "outcome"],
)
CONSUMER_LAG = Gauge(
    "consumer_lag_messages",
    "High-water mark minus position, per partition",
    ["service", "topic", "partition", "group"],
    multiprocess_mode="max",
)
OUTBOX_PUBLISHED = Counter(
    "outbox_published_total", "Outbox rows published to Kafka", ["service", "topic"]
)
OUTBOX_PUBLISH_ERRORS = Counter(
    "outbox_publish_errors_total", "Relay batches that failed to publish", ["service"]
)
OUTBOX_BACKLOG = Gauge(
    "outbox_backlog_messages",
    "Outbox rows not yet published",
    ["service"],
    multiprocess_mode="max",
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none)",
    ["service"],
    multiprocess_mode="max",
)
JOB_RUNS = Counter(
    "job_runs_total", "Background job tries (a claimed row, or a timer pass)", ["service", "job"]
)
JOB_FAILURES = Counter(
    "job_failures_total", "Background job tries that failed (retried later)", ["service", "job"]
)
JOB_PARKED = Counter(
    "job_parked_total",
    "Rows a background job gave up on after its last attempt (an operator must look)",
    ["service", "job"],
)
BUSINESS_EVENTS = Counter(
    "business_events_total", "Business facts recorded, by event type", ["service", "event"]
)
AUTH_REVOCATION_FETCH_ERRORS = Counter(
    "auth_revocation_fetch_errors_total",
    "Failed fetches of the revoked-session list (the last list is kept)",
    ["service"],
)
AUTH_REVOCATION_LAST_FETCH = Gauge(
    "auth_revocation_last_fetch_timestamp_seconds",
    "When a process last fetched the revoked-session list (the stalest process)",
    ["service"],
    multiprocess_mode="livemin",
)

# Which code a process runs: one series per process kind, always 1. A dashboard joins on it
# (`* on (service) group_left(version, commit)`) and a rollout shows as two versions at once.
BUILD_INFO = Gauge(
    "shop_build_info",
    "The version and git commit this process runs (always 1)",
    ["service", "version", "commit"],
    multiprocess_mode="max",
)

# Each process's pool, kept current by the pool's own checkout/checkin events (see
# watch_pool); "livesum": the API's gunicorn workers each have a pool, and the sum of the
# live ones is the service's.
DB_POOL_SIZE = Gauge(
    "db_pool_size_connections",
    "Connections the SQLAlchemy pool keeps (its pool_size; overflow comes on top)",
    ["service"],
    multiprocess_mode="livesum",
)
DB_POOL_CHECKED_OUT = Gauge(
    "db_pool_checked_out_connections",
    "Connections of the SQLAlchemy pool in use by a transaction right now",
    ["service"],
    multiprocess_mode="livesum",
)


class _Countable(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class _Observable(Protocol):
    def observe(self, amount: float) -> None: ...


class _AfterCommit:
    """The metric updates a transaction asked for, applied once when it commits."""

    def __init__(self) -> None:
        self.updates: list[tuple[_Countable | _Observable, float]] = []

    def __call__(self) -> None:
        for metric, value in self.updates:
            if hasattr(metric, "observe"):
                metric.observe(value)
            else:
                metric.inc(value)


def _pending(session: Session) -> _AfterCommit:
    from service_runtime.db import call_after_commit  # db imports this module

    return call_after_commit(session, "shop_metrics", _AfterCommit())  # type: ignore[return-value]


def count_after_commit(session: Session, counter: _Countable, amount: float = 1) -> None:
    """Add ``amount`` to ``counter`` (a labelled child) when ``session``'s transaction
    commits, never if it rolls back: a business counter says what happened, and a
    use case that failed (a lost race, a crash before commit, an event retried) did not
    happen. A redelivered event never reaches its handler (the inbox skips it), and a
    handler that finds the state already reached changes (and so counts) nothing.

    A savepoint rolled back inside the transaction keeps what it counted: the services
    use none around counted changes."""
    if amount:
        _pending(session).updates.append((counter, amount))


def observe_after_commit(session: Session, histogram: _Observable, value: float) -> None:
    """Observe ``value`` in ``histogram`` (a labelled child) when ``session``'s transaction
    commits, never if it rolls back (see :func:`count_after_commit`)."""
    _pending(session).updates.append((histogram, value))


def watch_pool(service: str, engine: Engine) -> None:
    """Export ``engine``'s pool as ``db_pool_size_connections`` and
    ``db_pool_checked_out_connections`` for ``service`` (``order``, ``order-worker``).

    Updated by the pool's checkout and checkin events rather than read by a collector at
    scrape time: an API's ``/metrics`` is answered by one gunicorn worker, which cannot
    read its siblings' pools, while values they write themselves are summed across them.
    Nothing is written before the first checkout, so gunicorn's master (which builds the
    app before forking) writes no metric.
    """
    from sqlalchemy import event

    # Counted, not read from the pool: during ``checkin`` the pool still counts the
    # connection being returned. The children are looked up here, not before: in
    # multiprocess mode making one writes its file.
    def checkout(*_args: object) -> None:
        DB_POOL_SIZE.labels(service).set(getattr(engine.pool, "size", lambda: 1)())
        DB_POOL_CHECKED_OUT.labels(service).inc()

    def checkin(*_args: object) -> None:
        DB_POOL_CHECKED_OUT.labels(service).dec()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)


_BUILDS: set[str] = set()


def record_build_info(service: str) -> None:
    """Export ``shop_build_info`` for ``service`` (``order``, ``order-worker``, ``gateway``)
    from the next :func:`render` on: it is set by the process that answers ``/metrics``,
    not when the app is built, since gunicorn builds it in its master, before the fork,
    where no metric may be written.

    The version is the service package's (``SHOP_VERSION`` overrides it); the commit is
    ``SHOP_GIT_COMMIT`` (an image gets it as a build argument), else the checkout's
    ``git rev-parse HEAD`` on a laptop, else ``unknown``.
    """
    _BUILDS.add(service)


@cache
def _version(package: str) -> str:
    if os.environ.get("SHOP_VERSION"):
        return os.environ["SHOP_VERSION"]
    for distribution in (f"shop-{package}", "shop-runtime"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


@cache
def _commit() -> str:
    if os.environ.get("SHOP_GIT_COMMIT"):
        return os.environ["SHOP_GIT_COMMIT"]
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = found.stdout.strip()
    return commit[:12] if found.returncode == 0 and commit else "unknown"


def render() -> tuple[bytes, str]:
    """The exposition for this process, or for all gunicorn workers in multiprocess mode."""
    for service in _BUILDS:
        BUILD_INFO.labels(service, _version(service.removesuffix("-worker")), _commit()).set(1)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
