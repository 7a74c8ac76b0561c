import pytest

from catalog import demo
from catalog.app import create_app
from catalog.definition import DEFINITION
from catalog.products import load_catalog
from service_runtime.testing.plugin import ServiceUnderTest, bearer


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app, {"MAX_CONTENT_LENGTH": 64 * 1024})


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
