import pytest

from catalog import demo
from catalog.app import create_app
from catalog.definition import DEFINITION
from catalog.products import load_catalog
from service_runtime.auth import jwks
from service_runtime.testing.checks import migrated_app
from service_runtime.testing.plugin import ServiceUnderTest, bearer


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app, {"MAX_CONTENT_LENGTH": 64 * 1024})


@pytest.fixture(scope="module")
def demo_app(database_factory, signing_key):
    """One demo catalog for a module's tests, which only read (or undo what they change)."""
    with migrated_app(DEFINITION, create_app, database_factory.create("catalog"),
                      config={"AUTH_JWKS": jwks(signing_key)}) as app:
        load_catalog(app.extensions["db"], demo.categories(), demo.products())
        yield app


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
