"""Kafka clients built from :class:`KafkaSettings`; nothing here is broker-specific."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from service_runtime.config import KafkaSettings

log = logging.getLogger(__name__)


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
        **overrides,
    }
    return KafkaConsumer(**options)


def ensure_topics(
    settings: KafkaSettings, names: Iterable[str], partitions: int, timeout_s: float = 30
) -> None:
    """Create the (logical) topics that do not exist yet; retry while the broker starts."""
    wanted = [settings.topic(name) for name in names]
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(**_common(settings))
            try:
                existing = set(admin.list_topics())
                missing = [t for t in wanted if t not in existing]
                replicas = settings.replication_factor
                if missing:
                    with contextlib.suppress(TopicAlreadyExistsError):
                        new = [NewTopic(t, partitions, replicas) for t in missing]
                        admin.create_topics(new, timeout_ms=10000)
                return
            finally:
                admin.close()
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for the broker to create topics", extra={"error": str(exc)})
            time.sleep(0.5)


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
