import pytest

from payment.app import create_app
from payment.definition import DEFINITION
from service_runtime.auth import jwks
from service_runtime.testing.checks import migrated_app
from service_runtime.testing.plugin import bearer


@pytest.fixture
def app(new_database, signing_key):
    with migrated_app(DEFINITION, create_app, new_database("payment"),
                      config={"AUTH_JWKS": jwks(signing_key)}) as app:
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
