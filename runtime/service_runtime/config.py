"""Settings from environment variables, with defaults that work on a laptop.

Production points at a real Kafka cluster and PostgreSQL by setting the same
variables; no code changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def env_str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return raw if raw not in (None, "") else default


class Process(StrEnum):
    """The ways a service runs (in Kubernetes: two Deployments and a Job)."""

    API = "api"
    WORKER = "worker"
    MIGRATE = "migrate"


# In ``read_by``: every service that owns a database (the gateway is named on its own).
EVERY_SERVICE = "*"


@dataclass(frozen=True)
class LaptopDefault:
    """A variable whose default only works with every process on one machine.

    A deployment must set it (or one of its ``alternatives``; ``{SERVICE}`` stands for
    the service's name in capitals) for every process in ``read_by``;
    ``tests/test_deploy_environment.py`` checks the Kubernetes manifests against this.
    """

    name: str
    default: str
    read_by: tuple[tuple[str, Process], ...]
    alternatives: tuple[str, ...] = ()


LAPTOP_DEFAULTS: dict[str, LaptopDefault] = {}


def laptop_default(name: str, default: str, *, read_by: Iterable[tuple[str, Process]],
                   alternatives: Iterable[str] = ()) -> str:
    """Declare ``name``'s default as one that only works on a laptop, and return it.

    Write it where the default is, ``env_str("X_URL", laptop_default("X_URL", ...))``:
    a loopback default anywhere else fails ``tests/test_deploy_environment.py``.
    """
    LAPTOP_DEFAULTS[name] = LaptopDefault(name, default, tuple(read_by), tuple(alternatives))
    return default


API_HOST = laptop_default("HOST", "127.0.0.1",
                          read_by=[(EVERY_SERVICE, Process.API), ("gateway", Process.API)])


def data_dir() -> Path:
    """Where the embedded default keeps SQLite files and other local state."""
    path = Path(env_str("SHOP_DATA_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str = laptop_default(
        "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
        read_by=[(EVERY_SERVICE, Process.API), (EVERY_SERVICE, Process.WORKER)])
    topic_prefix: str = ""
    session_timeout_ms: int = 10000
    heartbeat_interval_ms: int = 2000
    max_poll_records: int = 200
    # The embedded broker holds a fetch for about half of this whatever arrives meanwhile.
    fetch_max_wait_ms: int = 20
    request_timeout_ms: int = 30000
    # For topics the platform creates itself (production declares its topics too).
    replication_factor: int = 1
    # Extra client options for a production cluster (security protocol, SASL, ...).
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> KafkaSettings:
        return cls(
            bootstrap_servers=env_str("KAFKA_BOOTSTRAP_SERVERS", cls.bootstrap_servers),
            topic_prefix=env_str("KAFKA_TOPIC_PREFIX", ""),
            session_timeout_ms=env_int("KAFKA_SESSION_TIMEOUT_MS", cls.session_timeout_ms),
            heartbeat_interval_ms=env_int(
                "KAFKA_HEARTBEAT_INTERVAL_MS", cls.heartbeat_interval_ms
            ),
            max_poll_records=env_int("KAFKA_MAX_POLL_RECORDS", cls.max_poll_records),
            fetch_max_wait_ms=env_int("KAFKA_FETCH_MAX_WAIT_MS", cls.fetch_max_wait_ms),
            request_timeout_ms=env_int("KAFKA_REQUEST_TIMEOUT_MS", cls.request_timeout_ms),
            replication_factor=env_int("KAFKA_REPLICATION_FACTOR", cls.replication_factor),
            extra=json.loads(env_str("KAFKA_CLIENT_OPTIONS", "{}")),
        )

    def topic(self, name: str) -> str:
        """The physical topic or group for a logical name (a prefix lets tenants share)."""
        return f"{self.topic_prefix}{name}"

    def logical(self, topic: str) -> str:
        return topic.removeprefix(self.topic_prefix)


@dataclass(frozen=True)
class DeliverySettings:
    """How hard the outbox relay and the consumer loop try."""

    relay_poll_interval_ms: int = 1000  # a fallback: commits wake the relay
    relay_batch_size: int = 500
    outbox_retention_hours: int = 72
    consumer_max_attempts: int = 5
    consumer_backoff_ms: int = 200
    consumer_backoff_max_ms: int = 5000

    @classmethod
    def from_env(cls) -> DeliverySettings:
        return cls(
            relay_poll_interval_ms=env_int("OUTBOX_POLL_INTERVAL_MS", cls.relay_poll_interval_ms),
            relay_batch_size=env_int("OUTBOX_BATCH_SIZE", cls.relay_batch_size),
            outbox_retention_hours=env_int("OUTBOX_RETENTION_HOURS", cls.outbox_retention_hours),
            consumer_max_attempts=env_int("CONSUMER_MAX_ATTEMPTS", cls.consumer_max_attempts),
            consumer_backoff_ms=env_int("CONSUMER_BACKOFF_MS", cls.consumer_backoff_ms),
            consumer_backoff_max_ms=env_int(
                "CONSUMER_BACKOFF_MAX_MS", cls.consumer_backoff_max_ms
            ),
        )


SERVICE_PLACEHOLDER = "{service}"
laptop_default("DATABASE_URL", "sqlite:///$SHOP_DATA_DIR/<service>.db",
               read_by=[(EVERY_SERVICE, process) for process in Process],
               alternatives=("{SERVICE}_DATABASE_URL",))


def service_variable(service: str, suffix: str) -> str:
    """``ORDER_DATABASE_URL`` for ("order", "DATABASE_URL")."""
    return f"{service.upper().replace('-', '_')}_{suffix}"


def database_url(service: str) -> str:
    """The service's own database.

    ``<SERVICE>_DATABASE_URL`` first, then ``DATABASE_URL`` with ``{service}`` replaced by
    the service's name (so one variable gives every service a database of its own on one
    server), else a SQLite file of the service's own under the data dir. A
    ``DATABASE_URL`` without ``{service}`` is used as it is: right for a process that
    runs one service (a pod), wrong for a machine that runs them all.
    """
    own = os.environ.get(service_variable(service, "DATABASE_URL"))
    if own:
        return normalise_database_url(own)
    shared = os.environ.get("DATABASE_URL")
    if shared:
        return normalise_database_url(shared.replace(SERVICE_PLACEHOLDER, service))
    return f"sqlite:///{data_dir() / f'{service}.db'}"


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
