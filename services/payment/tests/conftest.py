import pytest

from payment.app import create_app
from payment.definition import DEFINITION
from service_runtime.migrate import upgrade


@pytest.fixture
def app(new_database):
    url = new_database("payment")
    upgrade(DEFINITION, url)
    app = create_app(database=url)
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def client(app):
    return app.test_client()
