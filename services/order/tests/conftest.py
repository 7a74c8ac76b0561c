import pytest

from order.app import create_app
from order.definition import DEFINITION
from order.domain import Price
from order.service import load_prices
from service_runtime.migrate import upgrade

PRICES = {"KETTLE": Price(9900, "CNY"), "MUG": Price(2500, "CNY"), "USD-THING": Price(100, "USD")}


@pytest.fixture
def app(new_database):
    url = new_database("order")
    upgrade(DEFINITION, url)
    app = create_app(database=url, config={"MAX_CONTENT_LENGTH": 64 * 1024})
    load_prices(app.extensions["db"], PRICES)
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def client(app):
    return app.test_client()
