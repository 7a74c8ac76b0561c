import pytest

from order.app import create_app
from order.definition import DEFINITION
from order.domain import Price
from order.service import load_prices
from service_runtime.auth import jwks
from service_runtime.testing.checks import migrated_app
from service_runtime.testing.plugin import bearer

PRICES = {"KETTLE": Price(9900, "CNY"), "MUG": Price(2500, "CNY"), "USD-THING": Price(100, "USD")}


@pytest.fixture
def app(new_database, signing_key):
    with migrated_app(DEFINITION, create_app, new_database("order"),
                      config={"MAX_CONTENT_LENGTH": 64 * 1024,
                              "AUTH_JWKS": jwks(signing_key)}) as app:
        load_prices(app.extensions["db"], PRICES)
        yield app


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def alice(signing_key):
    return bearer(signing_key, "alice")


@pytest.fixture(scope="session")
def bob(signing_key):
    return bearer(signing_key, "bob")
