import pytest

from order.app import create_app
from order.definition import DEFINITION
from order.domain import Price
from order.handlers import handlers
from order.service import load_prices
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.testing.plugin import ServiceUnderTest
from user.testing import HOME, serving_address_books

# The address books checkout reads: alice's home and bob's.
ADDRESSES = {"addr_1": ("alice", HOME),
             "addr_bob": ("bob", {**HOME, "recipient": "韩梅梅", "detail": "北山路 1 号"})}

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


@pytest.fixture(scope="session", autouse=True)
def address_book(database_factory, signing_key):
    """The real user service over real HTTP, holding ``ADDRESSES``: checkout copies the
    buyer's chosen address from it (``USER_SERVICE_URL``, the URL given)."""
    with serving_address_books(database_factory.create("user"), signing_key,
                               ADDRESSES) as url, pytest.MonkeyPatch.context() as env:
        env.setenv("USER_SERVICE_URL", url)
        yield url
