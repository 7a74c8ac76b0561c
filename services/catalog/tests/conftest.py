import pytest

from catalog import demo
from catalog.app import create_app
from catalog.definition import DEFINITION
from catalog.service import load_catalog
from service_runtime.auth import jwks
from service_runtime.testing.checks import migrated_app
from service_runtime.testing.plugin import bearer


@pytest.fixture
def app(new_database, signing_key):
    with migrated_app(DEFINITION, create_app, new_database("catalog"),
                      config={"MAX_CONTENT_LENGTH": 64 * 1024,
                              "AUTH_JWKS": jwks(signing_key)}) as app:
        yield app


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_db(db):
    """The database with the whole demo catalog loaded."""
    load_catalog(db, demo.categories(), demo.products())
    return db


@pytest.fixture(scope="session")
def admin_headers(signing_key):
    return bearer(signing_key, "root", roles=("admin",))


@pytest.fixture(scope="session")
def customer_headers(signing_key):
    return bearer(signing_key, "alice")
