import pytest

from payment.app import create_app
from payment.definition import DEFINITION
from service_runtime.testing.plugin import ServiceUnderTest


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)
