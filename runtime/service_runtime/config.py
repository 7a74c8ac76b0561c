"""The runtime's settings (typed, see ``service_runtime.settings``), with defaults that
work on a laptop.

Production points at a real Kafka cluster and PostgreSQL by setting the same
variables; no code changes.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from service_runtime.settings import Environment, Settings, at_least, variable


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

    Write it where the default is, ``variable("X_URL", laptop_default("X_URL", ...))``:
    a loopback default anywhere else fails ``tests/test_deploy_environment.py``.
    """
    # Several packages may declare one variable (the gateway and order both read
    # CART_SERVICE_URL): every declaration's readers must set it.
    known = LAPTOP_DEFAULTS.get(name)
    readers = (*(known.read_by if known else ()), *read_by)
    LAPTOP_DEFAULTS[name] = LaptopDefault(name, default, tuple(dict.fromkeys(readers)),
                                          tuple(alternatives))
    return default


API_HOST = laptop_default("HOST", "127.0.0.1",
                          read_by=[(EVERY_SERVICE, Process.API), ("gateway", Process.API)])


WORKER_HOST = laptop_default("WORKER_HOST", "127.0.0.1",
                             read_by=[(EVERY_SERVICE, Process.WORKER)])


def local_api_url(service: str) -> str:
    """The API of ``service`` on this machine, at the port its definition names.

    For laptop defaults only: it imports the service's package, which a process
    deployed on its own does not have (a deployment sets the URL instead).
    """
    return f"http://{API_HOST}:{api_port(service)}"


def api_port(service: str) -> int:
    """The ``api_port`` that ``<service>.definition`` names.

    A definition this process has not imported is read from its source when the port is
    written there as a number (it is, in every service), without running it: running it
    imports the whole service (its models, handlers, SQLAlchemy), which would cost every
    API (they all take the user API's port, for its keys) and the gateway (it takes every
    service's) megabytes each.
    """
    name = f"{service}.definition"
    if name not in sys.modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ImportError(f"no module {name}")
        for node in ast.walk(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.keyword) and node.arg == "api_port"
                    and isinstance(node.value, ast.Constant) and type(node.value.value) is int):
                return node.value.value
    return importlib.import_module(f"{service}.definition").DEFINITION.api_port


def data_dir() -> Path:
    """Where the embedded default keeps SQLite files and other local state."""
    environment = Environment()
    path = environment.value(Path, "SHOP_DATA_DIR", Path("var")).resolve()
    environment.check()
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class KafkaSettings(Settings):
    bootstrap_servers: str = variable("KAFKA_BOOTSTRAP_SERVERS", laptop_default(
        "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
        read_by=[(EVERY_SERVICE, Process.API), (EVERY_SERVICE, Process.WORKER)]))
    topic_prefix: str = variable("KAFKA_TOPIC_PREFIX", "")
    session_timeout_ms: int = variable("KAFKA_SESSION_TIMEOUT_MS", 10000, validate=at_least(1))
    heartbeat_interval_ms: int = variable("KAFKA_HEARTBEAT_INTERVAL_MS", 2000,
                                          validate=at_least(1))
    max_poll_records: int = variable("KAFKA_MAX_POLL_RECORDS", 200, validate=at_least(1))
    # The embedded broker holds a fetch for about half of this whatever arrives meanwhile.
    fetch_max_wait_ms: int = variable("KAFKA_FETCH_MAX_WAIT_MS", 20, validate=at_least(1))
    request_timeout_ms: int = variable("KAFKA_REQUEST_TIMEOUT_MS", 30000, validate=at_least(1))
    # For topics the platform creates itself (production declares its topics too).
    replication_factor: int = variable("KAFKA_REPLICATION_FACTOR", 1, validate=at_least(1))
    # Extra client options for a production cluster (security protocol, SASL, ...).
    extra: Mapping[str, Any] = variable("KAFKA_CLIENT_OPTIONS", {}, secret=True)

    def topic(self, name: str) -> str:
        """The physical topic or group for a logical name (a prefix lets tenants share)."""
        return f"{self.topic_prefix}{name}"

    def logical(self, topic: str) -> str:
        return topic.removeprefix(self.topic_prefix)


@dataclass(frozen=True)
class DeliverySettings(Settings):
    """How hard the outbox relay and the consumer loop try."""

    # A fallback: a commit that wrote outbox rows wakes the relay.
    relay_poll_interval_ms: int = variable("OUTBOX_POLL_INTERVAL_MS", 1000, validate=at_least(1))
    relay_batch_size: int = variable("OUTBOX_BATCH_SIZE", 500, validate=at_least(1))
    outbox_retention_hours: int = variable("OUTBOX_RETENTION_HOURS", 72, validate=at_least(1))
    consumer_max_attempts: int = variable("CONSUMER_MAX_ATTEMPTS", 5, validate=at_least(1))
    consumer_backoff_ms: int = variable("CONSUMER_BACKOFF_MS", 200, validate=at_least(0))
    consumer_backoff_max_ms: int = variable("CONSUMER_BACKOFF_MAX_MS", 5000,
                                            validate=at_least(0))
    # Records polled together share a transaction, up to this many or this long (on
    # SQLite it holds the write lock the API queues for); 1 is a transaction a record.
    consumer_batch_max_records: int = variable("CONSUMER_BATCH_MAX_RECORDS", 100,
                                               validate=at_least(1))
    consumer_batch_max_ms: int = variable("CONSUMER_BATCH_MAX_MS", 50, validate=at_least(0))


@dataclass(frozen=True)
class HttpSettings(Settings):
    """An HTTP API process: gunicorn and the Flask app it serves."""

    host: str = variable("HOST", API_HOST)
    # The service's ``api_port`` unless set (``python -m <service> api`` sets it).
    port: int | None = variable("PORT", None, validate=at_least(1))
    # host:port, or anything else gunicorn binds to (a unix socket); empty: HOST and PORT.
    bind: str = variable("BIND", "")
    workers: int = variable("WEB_CONCURRENCY", 2, validate=at_least(1))
    threads: int = variable("GUNICORN_THREADS", 4, validate=at_least(1))
    timeout_s: int = variable("GUNICORN_TIMEOUT", 30, validate=at_least(1))
    graceful_timeout_s: int = variable("GUNICORN_GRACEFUL_TIMEOUT", 20, validate=at_least(0))
    max_body_bytes: int = variable("MAX_BODY_BYTES", 1024 * 1024, validate=at_least(1))


@dataclass(frozen=True)
class WorkerSettings(Settings):
    """A worker process: where its ops endpoints listen, which consumer group it joins."""

    host: str = variable("WORKER_HOST", WORKER_HOST)
    # The service's ``worker_port`` unless set.
    port: int | None = variable("WORKER_PORT", None, validate=at_least(1))
    # The service's name unless set.
    consumer_group: str = variable("CONSUMER_GROUP", "")


def log_level(value: str) -> None:
    if value.upper() not in logging.getLevelNamesMapping():
        raise ValidationError("Not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL).")


@dataclass(frozen=True)
class LogSettings(Settings):
    level: str = variable("LOG_LEVEL", "INFO", validate=log_level)
    kafka_level: str = variable("KAFKA_LOG_LEVEL", "WARNING", validate=log_level)


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
    environment = Environment()
    # A URL may carry a password.
    own = environment.value(str, service_variable(service, "DATABASE_URL"), "", secret=True)
    shared = environment.value(str, "DATABASE_URL", "", secret=True)
    environment.check()
    if own:
        return normalise_database_url(own)
    if shared:
        return normalise_database_url(shared.replace(SERVICE_PLACEHOLDER, service))
    return f"sqlite:///{data_dir() / f'{service}.db'}"


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
