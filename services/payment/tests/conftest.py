import pytest

from payment.app import create_app
from payment.definition import DEFINITION
from service_runtime.testing.checks import migrated_app


@pytest.fixture
def app(new_database):
    with migrated_app(DEFINITION, create_app, new_database("payment")) as app:
        yield app


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def client(app):
    return app.test_client()
