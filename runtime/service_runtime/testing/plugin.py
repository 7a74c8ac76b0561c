"""pytest fixtures for every service's tests (registered as a pytest11 plugin).

* ``kafka_bootstrap``: a real Kafka-protocol broker for the test session: the one in
  ``TEST_KAFKA_BOOTSTRAP_SERVERS`` if set, a testcontainers Kafka when
  ``TEST_KAFKA=container`` and Docker answers, else the embedded Tansu broker.
* ``kafka_settings``: settings with a topic prefix of the test's own, so tests
  sharing the broker never see each other's messages.
* ``new_database``: a fresh, empty database: PostgreSQL when ``TEST_DATABASE_URL``
  is set (a new database on that server, dropped at the end), SQLite otherwise.
* ``app``, ``db``, ``client``: the service a test folder is about, on a freshly migrated
  database and trusting ``signing_key``; the folder's conftest names the service with
  a ``service_under_test`` fixture returning a :class:`ServiceUnderTest`.
* ``alice``, ``bob``: Authorization headers of two customers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from service_runtime.config import KafkaSettings
from service_runtime.testing.databases import DatabaseFactory
from service_runtime.testing.processes import free_port


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    configured = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    if os.environ.get("TEST_KAFKA") == "container" and _docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as container:
            yield container.get_bootstrap_server()
        return
    from service_runtime.broker import start_broker

    port = free_port()
    process = start_broker("127.0.0.1", port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_kafka_settings(bootstrap: str, prefix: str | None = None) -> KafkaSettings:
    """Settings for tests: a private topic prefix and quick group joins."""
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=prefix if prefix is not None else f"t{uuid.uuid4().hex[:10]}.",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        max_poll_records=200,
        request_timeout_ms=15000,
    )


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> KafkaSettings:
    return test_kafka_settings(kafka_bootstrap)


@pytest.fixture(scope="session")
def signing_key():
    """A signing key as the user service holds one; put ``jwks(signing_key)`` in AUTH_JWKS."""
    from service_runtime.auth import SigningKey

    return SigningKey.generate()


TEST_TOKEN_TTL_S = 24 * 3600


def bearer(key, user_id: str, roles: tuple[str, ...] = ("customer",),  # type: ignore[no-untyped-def]
           **kwargs) -> dict:
    """An Authorization header with an access token for ``user_id``, valid for a day unless
    ``ttl_s`` says otherwise: session-scoped fixtures hold one token for the whole run, and
    on a loaded machine a run outlasts the production lifetime (15 minutes; CI saw its
    tokens expire mid-suite)."""
    from service_runtime.auth import AuthSettings

    kwargs.setdefault("ttl_s", TEST_TOKEN_TTL_S)
    return {"Authorization": f"Bearer {key.issue(AuthSettings(), user_id, roles, **kwargs)}"}


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(
        os.environ.get("TEST_DATABASE_URL"), tmp_path_factory.mktemp("databases")
    )
    try:
        yield factory
    finally:
        factory.drop_all()


@pytest.fixture
def new_database(database_factory: DatabaseFactory) -> Callable[[str], str]:
    return database_factory.create


@dataclass(frozen=True)
class ServiceUnderTest:
    definition: Any  # ServiceDefinition
    create_app: Callable[..., Any]
    config: dict = field(default_factory=dict)


@pytest.fixture
def app(service_under_test: ServiceUnderTest, new_database, signing_key):  # type: ignore[no-untyped-def]
    from service_runtime.auth import jwks
    from service_runtime.testing.checks import migrated_app

    tested = service_under_test
    config = {"AUTH_JWKS": jwks(signing_key), **tested.config}
    with migrated_app(tested.definition, tested.create_app,
                      new_database(tested.definition.name), config=config) as service_app:
        yield service_app


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    return app.extensions["db"]


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture(scope="session")
def alice(signing_key) -> dict:  # type: ignore[no-untyped-def]
    return bearer(signing_key, "alice")


@pytest.fixture(scope="session")
def bob(signing_key) -> dict:  # type: ignore[no-untyped-def]
    return bearer(signing_key, "bob")


def outbox_events(db, event_type: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    """The envelopes in a service's outbox, oldest first (optionally of one type)."""
    import json

    from sqlalchemy import select

    from service_runtime.tables import outbox_messages

    query = select(outbox_messages.c.payload).order_by(outbox_messages.c.id)
    if event_type:
        query = query.where(outbox_messages.c.event_type == event_type)
    with db.transaction() as session:
        return [json.loads(payload) for payload in session.scalars(query)]
