import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import event_contracts.events
from event_contracts import REGISTRY
from logistics.app import create_app
from logistics.carriers import SIGNATURE_HEADER, TIMESTAMP_HEADER, demo_secret, sign
from logistics.definition import DEFINITION
from logistics.handlers import handlers_for
from logistics.settings import LogisticsSettings
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, decode
from service_runtime.testing.plugin import ServiceUnderTest, bearer, outbox_events

EXAMPLES = Path(event_contracts.events.__file__).parent.parent / "examples"
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def example(event_type: str) -> dict:
    return json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())


def make_event(event_type: str, event_id: str | None = None, **changes):
    """The contract's example event with ``changes`` to its data, as the consumer decodes it."""
    raw = example(event_type)
    raw["id"] = event_id or str(uuid.uuid4())
    raw["data"].update(changes)
    raw["key"] = raw["data"]["order_id"]
    return decode(json.dumps(raw).encode())


def emitted(db, event_type: str) -> list[dict]:
    """The events of a type in the outbox; each one's data checked against its contract."""
    events = outbox_events(db, event_type)
    for envelope in events:
        assert envelope["source"] == "logistics"
        REGISTRY.validate_outgoing(event_type, envelope["version"], envelope["data"])
        decode(json.dumps(envelope).encode())
    return events


ADDRESS = {"recipient": "李雷", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
           "district": "西湖区", "detail": "文三路 100 号", "postal_code": "310000"}


class Saga:
    """The other services' events, as they would reach logistics."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer

    def place(self, order_id: str = "ord_1", user_id: str = "alice", method: str = "express",
              lines: tuple = (("KETTLE", 1), ("MUG", 2)), event_id: str | None = None) -> bool:
        return self.consumer.apply(make_event(
            "OrderPlaced", event_id, order_id=order_id, user_id=user_id, delivery_method=method,
            lines=[{"sku": sku, "quantity": q, "unit_price": {"amount": 100, "currency": "CNY"}}
                   for sku, q in lines],
            total={"amount": 100 * sum(q for _, q in lines), "currency": "CNY"},
            address_id="addr_1", shipping_address=ADDRESS, placed_at=T0.isoformat()))

    def pay(self, order_id: str = "ord_1", user_id: str = "alice", method: str = "balance",
            at: datetime = T0 + timedelta(minutes=5), event_id: str | None = None) -> bool:
        return self.consumer.apply(make_event(
            "PaymentConfirmed", event_id, order_id=order_id, user_id=user_id, method=method,
            confirmed_at=at.isoformat()))

    def cod(self, order_id: str = "ord_1", user_id: str = "alice",
            at: datetime = T0 + timedelta(minutes=5), event_id: str | None = None) -> bool:
        return self.consumer.apply(make_event(
            "CashOnDeliveryChosen", event_id, order_id=order_id, user_id=user_id,
            chosen_at=at.isoformat()))

    def cancel(self, order_id: str = "ord_1", user_id: str = "alice",
               at: datetime = T0 + timedelta(minutes=10), event_id: str | None = None) -> bool:
        return self.consumer.apply(make_event(
            "OrderCancelled", event_id, order_id=order_id, user_id=user_id,
            cancelled_at=at.isoformat(), cancelled_by="buyer"))

    def receive_return(self, return_id: str = "ret_1", order_id: str = "ord_1",
                       user_id: str = "alice", kind: str = "exchange",
                       lines: tuple = (("MUG", 1),), event_id: str | None = None) -> bool:
        return self.consumer.apply(make_event(
            "ReturnReceived", event_id, return_id=return_id, order_id=order_id,
            user_id=user_id, type=kind,
            lines=[{"sku": sku, "quantity": q} for sku, q in lines],
            refund={"amount": 0, "currency": "CNY"},
            received_at=(T0 + timedelta(days=5)).isoformat()))


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app, {"MAX_CONTENT_LENGTH": 64 * 1024})


def consumer_with(db, settings: LogisticsSettings) -> EventConsumer:  # type: ignore[no-untyped-def]
    """A consumer whose handlers were built with ``settings``, as the worker builds them."""
    return EventConsumer("logistics", "logistics", db, handlers_for(settings), KafkaSettings(),
                         DeliverySettings())


@pytest.fixture
def consumer(db):
    return consumer_with(db, LogisticsSettings())


@pytest.fixture
def saga(consumer):
    return Saga(consumer)


@pytest.fixture
def saga_with(db):
    """A saga whose events reach handlers built with the given settings."""
    return lambda settings: Saga(consumer_with(db, settings))


@pytest.fixture(scope="session")
def admin_headers(signing_key):
    return bearer(signing_key, "root", roles=("admin",))


@pytest.fixture
def admin_api(client, admin_headers):
    """Admin calls: list, ship, collect."""

    class AdminApi:
        def shipments(self, **query) -> list[dict]:
            response = client.get("/api/v1/admin/shipments", query_string=query,
                                  headers=admin_headers)
            assert response.status_code == 200, response.get_json()
            return response.get_json()["items"]

        def only_shipment(self, order_id: str = "ord_1") -> dict:
            [shipment] = self.shipments(order_id=order_id)
            return shipment

        def ship(self, shipment_id: str, carrier: str = "sf", tracking_number: str = "SF100001"):
            return client.post(f"/api/v1/admin/shipments/{shipment_id}/ship",
                               json={"carrier": carrier, "tracking_number": tracking_number},
                               headers=admin_headers)

        def collect(self, shipment_id: str, code: str):
            return client.post(f"/api/v1/admin/shipments/{shipment_id}/collect",
                               json={"pickup_code": code}, headers=admin_headers)

    return AdminApi()


@pytest.fixture
def send_callback(client):
    """POST a carrier callback, signed with the demo secret unless told otherwise."""

    def send(carrier: str, body: dict | bytes, *, timestamp: int | None = None,
             secret: str | None = None, signature: str | None = None, signed: bool = True):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": "application/json"}
        if signed:
            headers[TIMESTAMP_HEADER] = ts
            headers[SIGNATURE_HEADER] = signature or sign(secret or demo_secret(carrier), ts, raw)
        return client.post(f"/api/v1/logistics/callbacks/{carrier}", data=raw, headers=headers)

    return send


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:shop:problem:{slug}", body
    return body


@pytest.fixture(scope="session", name="problem")
def problem_fixture():
    """``problem(response, status, slug)``: assert a problem+json answer, return its body."""
    return problem


@pytest.fixture(name="emitted")
def emitted_fixture(db):
    """``emitted("Shipped")``: the outbox's events of a type, checked against the contract."""
    return lambda event_type: emitted(db, event_type)


@pytest.fixture(scope="session", name="make_event")
def make_event_fixture():
    return make_event
