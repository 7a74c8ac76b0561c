import json
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from cart.app import create_app
from cart.definition import DEFINITION
from cart.handlers import handlers
from cart.settings import CartSettings
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, decode
from service_runtime.testing.kafka_tools import envelope
from service_runtime.testing.plugin import ServiceUnderTest
from service_runtime.testing.processes import free_port

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def product_updated(product_id: int, name: str, *skus: tuple, at: datetime = T0,
                    event_id: str | None = None, currency: str = "CNY"):
    """A ProductUpdated event as the consumer decodes it; skus are (sku, amount, available)."""
    data = {
        "product_id": product_id, "name": name, "brand": "测试", "category_id": 1,
        "skus": [{"sku": sku, "price": {"amount": amount, "currency": currency},
                  "attributes": {"colour": "white"}, "available": available}
                 for sku, amount, available in skus],
        "updated_at": at.isoformat(),
    }
    raw = envelope("ProductUpdated", str(product_id), data, event_id=event_id)
    return decode(json.dumps(raw).encode())


def order_placed(user_id: str, *lines: tuple[str, int], event_id: str | None = None):
    data = {
        "order_id": "ord_1", "user_id": user_id,
        "lines": [{"sku": sku, "quantity": qty, "unit_price": {"amount": 100, "currency": "CNY"}}
                  for sku, qty in lines],
        "total": {"amount": 100 * sum(q for _, q in lines), "currency": "CNY"},
        "delivery_method": "express", "address_id": "home",
        "placed_at": (T0 + timedelta(hours=1)).isoformat(),
    }
    return decode(json.dumps(envelope("OrderPlaced", "ord_1", data, event_id=event_id)).encode())


@pytest.fixture
def marketing_url() -> str:
    """Where the cart asks for quotes: unless a test serves one, a port nothing listens on
    (marketing down: the cart answers with its own totals)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def service_under_test(marketing_url):
    settings = CartSettings(marketing_service_url=marketing_url)
    return ServiceUnderTest(DEFINITION, partial(create_app, settings=settings),
                            {"MAX_CONTENT_LENGTH": 16 * 1024})


@pytest.fixture
def consumer(db):
    return EventConsumer("cart", "cart", db, handlers, KafkaSettings(), DeliverySettings())


@pytest.fixture
def catalog(consumer):
    """The local catalog copy, filled the only way it is: from ProductUpdated events."""
    consumer.apply(product_updated(1, "电热水壶 Kettle", ("KETTLE", 9900, 5)))
    consumer.apply(product_updated(2, "马克杯 Mug", ("MUG", 2500, 100), ("MUG-RED", 2500, 0)))
    consumer.apply(product_updated(3, "Dollar thing", ("USD-THING", 100, 10), currency="USD"))
    return consumer


@pytest.fixture(scope="session")
def product_event():
    return product_updated


@pytest.fixture(scope="session")
def order_event():
    return order_placed
