import pytest

from order.app import create_app
from order.definition import DEFINITION
from order.domain import Price
from order.handlers import handlers
from order.service import load_prices
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.testing.plugin import ServiceUnderTest

PRICES = {"KETTLE": Price(9900, "CNY"), "MUG": Price(2500, "CNY"), "USD-THING": Price(100, "USD")}
@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app, {"MAX_CONTENT_LENGTH": 64 * 1024})


@pytest.fixture
def app(app):
    """The plugin's app, with the test prices loaded."""
    load_prices(app.extensions["db"], PRICES)
    return app


@pytest.fixture
def consumer(db):
    return EventConsumer("order", "order", db, handlers, KafkaSettings(), DeliverySettings())
