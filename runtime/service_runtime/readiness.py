"""What ``/readyz`` checks, apart from Flask: a worker's ops endpoints report the same
checks without loading the API stack (:mod:`service_runtime.ops`).

Nothing here connects or imports a driver until a check runs: kafka-python and alembic
are loaded at the first check of the broker or of the schema.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from service_runtime.config import KafkaSettings

if TYPE_CHECKING:
    from service_runtime.db import Database
    from service_runtime.service import ServiceDefinition


@dataclass(frozen=True)
class ReadinessCheck:
    """A dependency ``/readyz`` reports; only ``required`` ones make it answer 503."""

    name: str
    check: Callable[[], None]
    required: bool = True


def database_check(db: Database) -> ReadinessCheck:
    return ReadinessCheck("database", db.ping)


def broker_check(kafka: KafkaSettings, required: bool = True) -> ReadinessCheck:
    def check() -> None:
        from service_runtime.kafka import broker_reachable

        if not broker_reachable(kafka):
            raise ConnectionError(f"no broker at {kafka.bootstrap_servers}")

    return ReadinessCheck("broker", check, required)


def schema_check(definition: ServiceDefinition, db: Database) -> ReadinessCheck:
    """The schema check (see service_runtime.migrate), with alembic and the migration
    scripts loaded at the first check rather than at build time."""

    @functools.cache
    def loaded() -> Callable[[], None]:
        from service_runtime import migrate

        return migrate.schema_check(definition, db)

    return ReadinessCheck("migrations", lambda: loaded()())


def readiness(checks: Iterable[ReadinessCheck]) -> tuple[dict[str, Any], int]:
    """The ``/readyz`` document and its status: 503 when a required check fails."""
    results, ready = {}, True
    for check in checks:
        try:
            check.check()
            results[check.name] = "ok"
        except Exception as exc:
            results[check.name] = f"unavailable: {exc}"
            ready = ready and not check.required
    return {"status": "ready" if ready else "unready", "checks": results}, (
        200 if ready else 503)
