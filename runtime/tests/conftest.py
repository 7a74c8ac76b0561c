from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service_runtime.config import KafkaSettings
from service_runtime.db import Database
from service_runtime.kafka import ensure_topics
from service_runtime.tables import processed_events
from service_runtime.testing.processes import ServiceProcess, free_port

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import tally_service  # noqa: E402


class Tally:
    """One tally service deployment: a database, a topic prefix, worker processes."""

    def __init__(self, url: str, kafka: KafkaSettings, log_dir: Path) -> None:
        self.url = url
        self.kafka = kafka
        self.log_dir = log_dir
        self.db = Database(url)
        self.processes: list[ServiceProcess] = []
        tally_service.create_schema(url)
        ensure_topics(kafka, [tally_service.EVENT, "tally.dead-letters"], partitions=4)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "DATABASE_URL": self.url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": self.kafka.topic_prefix,
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "CONSUMER_MAX_ATTEMPTS": "3",
            "CONSUMER_BACKOFF_MS": "20",
            "OUTBOX_POLL_INTERVAL_MS": "50",
            "PYTHONPATH": str(HERE),
            "LOG_LEVEL": "INFO",
            **extra,
        }

    def command(self, name: str, *args: str, **env: str) -> ServiceProcess:
        process = ServiceProcess(
            f"tally-{name}-{len(self.processes)}",
            [sys.executable, "-m", "tally_service", name, *args],
            self.env(**env),
            self.log_dir,
        )
        self.processes.append(process)
        return process.start()

    def worker(self, **env: str) -> ServiceProcess:
        port = free_port()
        process = self.command("worker", WORKER_PORT=str(port), **env)
        process.health_url = f"http://127.0.0.1:{port}/healthz"  # type: ignore[attr-defined]
        return process

    def run(self, name: str, *args: str, timeout: float = 90, **env: str) -> tuple[int, str]:
        process = self.command(name, *args, **env)
        code = process.wait_exit(timeout)
        return code, process.logs()

    def applied(self) -> list:
        with self.db.transaction() as session:
            return session.execute(
                select(tally_service.applied).order_by(tally_service.applied.c.id)
            ).all()

    def applied_count(self) -> int:
        with self.db.transaction() as session:
            return session.execute(select(func.count()).select_from(tally_service.applied)).scalar()

    def inbox_count(self) -> int:
        with self.db.transaction() as session:
            return session.execute(select(func.count()).select_from(processed_events)).scalar()

    def close(self) -> None:
        for process in self.processes:
            process.kill()
        self.db.dispose()


@pytest.fixture
def tally_db(new_database):
    """A fresh database with the tally service's tables, for tests without its processes."""
    url = new_database("tally_db")
    tally_service.create_schema(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def tally(kafka_settings, new_database, tmp_path):
    deployment = Tally(new_database("tally"), kafka_settings, tmp_path)
    yield deployment
    deployment.close()
