import json
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

import event_contracts
from payment.app import create_app
from payment.definition import DEFINITION
from payment.handlers import handlers
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, decode
from service_runtime.testing.plugin import ServiceUnderTest, bearer

# Helpers shared by several test files live beside this file (the tests are imported by path).
sys.path.insert(0, str(Path(__file__).parent))

EXAMPLES = Path(event_contracts.__file__).parent / "examples"


def contract_event(event_type: str, event_id: str | None = None, **data):  # type: ignore[no-untyped-def]
    """The contract's example of ``event_type`` with ``data`` fields changed, decoded as the
    consumer decodes it (so the tests prove we accept what the contract says)."""
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    if event_type == "OrderPlaced":
        # Without coupon and points unless a test gives them: the payable then waits for
        # the stock only (test_payable_holds.py covers the coupon and points locks).
        data = {"user_coupon_id": None, "points_used": 0, **data}
    raw["data"].update(data)
    raw["id"] = event_id or str(uuid.uuid4())
    raw["key"] = raw["data"].get("order_id", raw["key"])
    return decode(json.dumps(raw).encode())


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


@pytest.fixture
def reconfigure(app, monkeypatch):
    """Change settings of the running API, as a restart with other variables would."""
    def change(**settings) -> None:
        monkeypatch.setitem(app.extensions, "settings",
                            replace(app.extensions["settings"], **settings))
    return change


@pytest.fixture
def consumer(db):
    return EventConsumer("payment", "payment", db, handlers, KafkaSettings(), DeliverySettings())


@pytest.fixture
def apply(consumer):
    """``apply("OrderPlaced", order_id=..., ...)``: deliver a contract event to the handlers."""

    def deliver(event_type: str, event_id: str | None = None, **data) -> bool:  # type: ignore[no-untyped-def]
        return consumer.apply(contract_event(event_type, event_id, **data))

    return deliver


@pytest.fixture
def due_order(apply):
    """An order placed and its stock reserved: payable (``due``)."""

    def make(order_id: str = "ord_1", user: str = "alice", amount: int = 14900) -> str:
        apply("OrderPlaced", order_id=order_id, user_id=user,
              total={"amount": amount, "currency": "CNY"})
        apply("StockReserved", order_id=order_id)
        return order_id

    return make


@pytest.fixture(scope="session")
def admin(signing_key) -> dict:  # type: ignore[no-untyped-def]
    return bearer(signing_key, "root", roles=("admin",))


@pytest.fixture(scope="session")
def make_event():
    return contract_event
