"""Kafka clients built from :class:`KafkaSettings`; nothing here is broker-specific."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from collections.abc import Iterable

import tenacity
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from service_runtime.config import KafkaSettings

log = logging.getLogger(__name__)

# kafka-python's own client metrics (producers and consumers): nothing reads them, the
# services export Prometheus metrics of their own, and recording them on every fetch of
# every partition cost about 5 % of a worker's CPU per event (py-spy, bench/stack.py).
_NO_CLIENT_METRICS = {"metrics_enabled": False}


def _common(settings: KafkaSettings) -> dict:
    return {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "request_timeout_ms": settings.request_timeout_ms,
        **settings.extra,
    }


def make_producer(settings: KafkaSettings, **overrides: object) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica (acks=all)."""
    options = {
        **_common(settings),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_block_ms": 10000,
        **_NO_CLIENT_METRICS,
        **overrides,
    }
    return KafkaProducer(**options)


def make_consumer(settings: KafkaSettings, group_id: str, **overrides: object) -> KafkaConsumer:
    """A group consumer that never commits on its own.

    The topic prefix applies to the group id too, so deployments sharing a cluster
    (or tests sharing a broker) never join each other's groups.
    """
    options = {
        **_common(settings),
        "group_id": settings.topic(group_id),
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        "max_poll_records": settings.max_poll_records,
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
        **_NO_CLIENT_METRICS,
        **overrides,
    }
    return KafkaConsumer(**options)


def ensure_topics(
    settings: KafkaSettings, names: Iterable[str], partitions: int, timeout_s: float = 30
) -> None:
    """Create the (logical) topics that do not exist yet; retry while the broker starts."""
    wanted = [settings.topic(name) for name in names]
    for attempt in tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(KafkaError),
        stop=tenacity.stop_after_delay(timeout_s),
        wait=tenacity.wait_exponential(multiplier=0.1, max=2),
        before_sleep=lambda state: log.info(
            "waiting for the broker to create topics",
            extra={"error": str(state.outcome.exception())}),
        reraise=True,
    ):
        with attempt:
            _create_missing(settings, wanted, partitions)


def _create_missing(settings: KafkaSettings, wanted: list[str], partitions: int) -> None:
    admin = KafkaAdminClient(**_common(settings))
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                new = [NewTopic(t, partitions, settings.replication_factor) for t in missing]
                admin.create_topics(new, timeout_ms=10000)
    finally:
        admin.close()


def broker_on_this_machine(settings: KafkaSettings) -> bool:
    """True when every bootstrap server is a loopback address (the embedded default)."""
    for server in settings.bootstrap_servers.split(","):
        host = server.strip().rpartition(":")[0].strip("[]")
        if host == "localhost":
            continue
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return False
        except ValueError:
            return False
    return True


def broker_reachable(settings: KafkaSettings, timeout_s: float = 1.0) -> bool:
    """True when a TCP connection to some bootstrap server succeeds."""
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False
