"""``./platform run`` on a database server and a Kafka cluster of your own: one database per
service (created when missing, then migrated and loaded with the demo data), and no
embedded broker when KAFKA_BOOTSTRAP_SERVERS names a cluster. The process manager is
replaced by a script that records what it was asked to start."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's

ROOT = Path(__file__).resolve().parent.parent
PROCFILE_PROCESSES = [line.split(":", 1)[0] for line in (ROOT / "Procfile").read_text().splitlines()
                      if line and not line.startswith("#")]


@pytest.fixture
def database_template(database_factory, tmp_path):  # type: ignore[no-untyped-def]
    """A DATABASE_URL with ``{service}``: SQLite files, or new databases on the test server."""
    if database_factory.backend == "sqlite":
        return f"sqlite:///{tmp_path}/shop_{{service}}.db"
    prefix = f"test_run_{uuid.uuid4().hex[:8]}"
    database_factory.created.extend(f"{prefix}_{service}" for service in SERVICES)
    server = make_url(database_factory.server_url)
    rendered = server.set(database=f"{prefix}_SERVICE").render_as_string(hide_password=False)
    return rendered.replace("_SERVICE", "_{service}")  # make_url would escape the braces


def platform_run(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    started = tmp_path / "started"
    manager = tmp_path / "process-manager"
    # It records what it was asked to start and the demo history the analytics worker makes.
    manager.write_text(f'#!/bin/sh\necho "$@" > {started}\n'
                       f'echo "$ANALYTICS_DEMO_HISTORY_DAYS" > {started}-demo-days\n')
    manager.chmod(0o755)
    clean = {k: v for k, v in os.environ.items()
             if not k.endswith("DATABASE_URL") and not k.startswith("KAFKA_")
             and k != "ANALYTICS_DEMO_HISTORY_DAYS"}
    result = subprocess.run(
        [str(ROOT / "platform"), "run"], capture_output=True, text=True, timeout=600,
        env={**clean, "SHOP_DATA_DIR": str(tmp_path / "data"),
             "SHOP_PROCESS_MANAGER": str(manager), **env})
    return result, (started.read_text().split() if started.exists() else [])


def demo_days(tmp_path: Path) -> str:
    """ANALYTICS_DEMO_HISTORY_DAYS as the processes were started with it."""
    return (tmp_path / "started-demo-days").read_text().strip()


def test_one_database_per_service_and_an_external_kafka_cluster(tmp_path, database_template):
    result, started = platform_run(tmp_path, DATABASE_URL=database_template,
                                   KAFKA_BOOTSTRAP_SERVERS="kafka.example.internal:9092")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "broker" in PROCFILE_PROCESSES  # what runs when no cluster is named
    assert started == ["start", "-f", "Procfile",
                       *(name for name in PROCFILE_PROCESSES if name != "broker")]
    assert demo_days(tmp_path) == "56"  # the demo data has a shopping history
    for service in SERVICES:
        url = database_template.replace("{service}", service)
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as connection:
                heads = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
                # Only this service's branch and the runtime's: nobody else's tables.
                assert {head.split("_")[0] for head in heads} == {"runtime", service}
        finally:
            engine.dispose()


def test_your_own_demo_history_days_are_kept(tmp_path):
    result, _ = platform_run(tmp_path, ANALYTICS_DEMO_HISTORY_DAYS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert demo_days(tmp_path) == "0"  # none


def test_one_database_url_for_all_seven_services_is_refused(tmp_path):
    result, started = platform_run(tmp_path, DATABASE_URL="postgresql://postgres@127.0.0.1/shop")
    assert result.returncode == 2 and "{service}" in result.stderr
    assert started == []
