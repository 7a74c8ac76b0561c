"""Fixtures of the marketing tests: the service on a fresh, migrated database (the
runtime's pytest plugin gives ``app``, ``client``, ``db``, ``alice`` and ``bob``), a
consumer to feed it events built from the contract examples, and an admin."""

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from marketing.app import create_app
from marketing.definition import DEFINITION
from marketing.handlers import handlers
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import Event, EventConsumer, decode
from service_runtime.testing.plugin import ServiceUnderTest, bearer

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"


def example_event(event_type: str, **changes) -> Event:  # type: ignore[no-untyped-def]
    """The contract's example of ``event_type`` with ``data`` fields changed (None removes
    a field), a fresh event id; decoded as the consumer decodes it."""
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    raw["id"] = str(uuid.uuid4())
    for name, value in changes.items():
        if value is None:
            raw["data"].pop(name, None)
        else:
            raw["data"][name] = value
    raw["key"] = str(raw["data"].get("order_id", raw["key"]))
    return decode(json.dumps(raw, default=str).encode())


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


@pytest.fixture
def consumer(db):
    return EventConsumer(DEFINITION.name, DEFINITION.name, db, handlers, KafkaSettings(),
                         DeliverySettings())


@pytest.fixture
def apply(consumer) -> Callable[..., bool]:
    """Apply an event (the contract example with ``data`` changed) through the consumer."""

    def run(event_type: str, **data) -> bool:  # type: ignore[no-untyped-def]
        return consumer.apply(example_event(event_type, **data))

    return run


@pytest.fixture(scope="session")
def make_event():
    """``example_event``: a contract example with fields changed, decoded."""
    return example_event


@pytest.fixture(scope="session")
def admin_headers(signing_key):
    return bearer(signing_key, "root", roles=("admin",))


@pytest.fixture(scope="session")
def headers_of(signing_key) -> Callable[[str], dict]:
    return lambda user_id: bearer(signing_key, user_id)


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


@pytest.fixture
def new_coupon(client, admin_headers) -> Callable[..., dict]:
    """Create a coupon template through the admin API (满100减10, 30 days, 100 of them)."""

    def create(**fields) -> dict:  # type: ignore[no-untyped-def]
        body = {"name": "满100减10", "kind": "amount_off", "amount_off": cny(1000),
                "min_spend": cny(10000), "valid_days": 30, "total_quantity": 100, **fields}
        response = client.post("/api/v1/admin/coupons", json=body, headers=admin_headers)
        assert response.status_code == 201, response.json
        return response.json

    return create
