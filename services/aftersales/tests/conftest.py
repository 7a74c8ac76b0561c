"""Fixtures of the after-sales tests: the service on a fresh database, a consumer to feed
it events built from the contract examples, and an admin."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aftersales.app import create_app
from aftersales.definition import DEFINITION
from aftersales.handlers import handlers
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import Event, EventConsumer, decode
from service_runtime.testing.plugin import ServiceUnderTest, bearer

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"


def example_event(event_type: str, **changes) -> Event:  # type: ignore[no-untyped-def]
    """The contract's example of ``event_type`` with ``data`` fields changed (None removes
    a field), a fresh event id, keyed by its order; decoded as the consumer decodes it."""
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    raw["id"] = str(uuid.uuid4())
    for name, value in changes.items():
        if value is None:
            raw["data"].pop(name, None)
        else:
            raw["data"][name] = value
    raw["key"] = raw["data"].get("order_id", raw["key"])
    return decode(json.dumps(raw, default=str).encode())


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app, {"MAX_CONTENT_LENGTH": 64 * 1024})


@pytest.fixture
def consumer(db):
    return EventConsumer("aftersales", "aftersales", db, handlers, KafkaSettings(),
                         DeliverySettings())


@pytest.fixture(scope="session")
def admin_headers(signing_key):
    return bearer(signing_key, "root", roles=("admin",))


KETTLE = {"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 1,
          "unit_price": {"amount": 9900, "currency": "CNY"}, "product_id": 42}
MUG = {"sku": "MUG-CERAMIC-350ML", "quantity": 2,
       "unit_price": {"amount": 2500, "currency": "CNY"}, "product_id": 7}


class Orders:
    """Drives the order projection the only way it is filled: through events."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer

    def apply(self, event_type: str, **data) -> bool:  # type: ignore[no-untyped-def]
        return self.consumer.apply(example_event(event_type, **data))

    def place(self, order_id: str = "ord_1", user_id: str = "alice",
              lines: list | None = None) -> None:
        lines = lines if lines is not None else [KETTLE, MUG]
        total = sum(line["quantity"] * line["unit_price"]["amount"] for line in lines)
        self.apply("OrderPlaced", order_id=order_id, user_id=user_id, lines=lines,
                   total={"amount": total, "currency": "CNY"})

    def pay(self, order_id: str = "ord_1", user_id: str = "alice") -> None:
        self.apply("PaymentConfirmed", order_id=order_id, user_id=user_id)

    def ship(self, order_id: str = "ord_1", **data) -> None:  # type: ignore[no-untyped-def]
        self.apply("Shipped", order_id=order_id, **data)

    def deliver(self, order_id: str = "ord_1", at: datetime | None = None,
                **data) -> None:  # type: ignore[no-untyped-def]
        at = at or datetime.now(UTC) - timedelta(days=1)
        self.apply("Delivered", order_id=order_id, delivered_at=at.isoformat(), **data)

    def ship_replacement(self, return_id: str, order_id: str = "ord_1",
                         **data) -> None:  # type: ignore[no-untyped-def]
        self.apply("ReplacementShipped", order_id=order_id, return_id=return_id, **data)

    def deliver_replacement(self, return_id: str, order_id: str = "ord_1",
                            at: datetime | None = None,
                            **data) -> None:  # type: ignore[no-untyped-def]
        at = at or datetime.now(UTC)
        self.apply("ReplacementDelivered", order_id=order_id, return_id=return_id,
                   delivered_at=at.isoformat(), **data)

    def complete(self, order_id: str = "ord_1", user_id: str = "alice",
                 at: datetime | None = None) -> None:
        at = at or datetime.now(UTC)
        self.apply("OrderCompleted", order_id=order_id, user_id=user_id,
                   completed_at=at.isoformat())

    def cancel(self, order_id: str = "ord_1", user_id: str = "alice") -> None:
        self.apply("OrderCancelled", order_id=order_id, user_id=user_id)

    def delivered(self, order_id: str = "ord_1", user_id: str = "alice",
                  lines: list | None = None, at: datetime | None = None) -> None:
        """Placed, paid, shipped and delivered (a day ago unless ``at``)."""
        self.place(order_id, user_id, lines)
        self.pay(order_id, user_id)
        self.ship(order_id)
        self.deliver(order_id, at)


@pytest.fixture
def orders(consumer) -> Orders:
    return Orders(consumer)


@pytest.fixture(scope="session")
def make_event():
    """``example_event``: a contract example with fields changed, decoded."""
    return example_event
