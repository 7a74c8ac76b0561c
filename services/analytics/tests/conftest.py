"""Fixtures of the analytics tests: the service on a fresh, migrated database (the
runtime's pytest plugin gives ``app``, ``client``, ``db``, ``alice`` and ``bob``), and a
consumer to feed it events built from the contract examples."""

import json
import sys
import uuid
from pathlib import Path

import pytest

from analytics.app import create_app
from analytics.definition import DEFINITION
from analytics.handlers import handlers
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import Event, EventConsumer, decode
from service_runtime.testing.plugin import ServiceUnderTest, bearer

# The tests share their sales history (analytics_history.py) by plain import.
sys.path.insert(0, str(Path(__file__).parent))
EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


@pytest.fixture
def consumer(db):
    return EventConsumer(DEFINITION.name, DEFINITION.name, db, handlers, KafkaSettings(),
                         DeliverySettings())


@pytest.fixture(scope="session")
def example_event():
    """The contract's example of an event type with ``data`` fields changed, a fresh id."""

    def build(event_type: str, **changes) -> Event:  # type: ignore[no-untyped-def]
        raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
        raw["id"] = str(uuid.uuid4())
        raw["data"].update(changes)
        return decode(json.dumps(raw).encode())

    return build


@pytest.fixture(scope="session")
def admin(signing_key) -> dict:  # type: ignore[no-untyped-def]
    return bearer(signing_key, "root", roles=("admin",))


@pytest.fixture
def local_webhook_receivers(monkeypatch):  # type: ignore[no-untyped-def]
    """Webhook URLs to receivers on this machine (http://127.0.0.1:port) allowed, as in
    local development; by default only https to public addresses is. Use it before the
    app is made (``pytest.mark.usefixtures``): the app reads its settings once."""
    monkeypatch.setenv("ANALYTICS_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    monkeypatch.setenv("ANALYTICS_WEBHOOK_ALLOW_HTTP", "true")
