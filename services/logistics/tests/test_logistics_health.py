"""The logistics service skeleton answers the endpoints every service has."""

from logistics.app import create_app
from logistics.definition import DEFINITION
from service_runtime.testing.checks import assert_ops_endpoints, migrated_app


def test_ops_endpoints_and_problem_errors(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("logistics")) as app:
        assert_ops_endpoints(app.test_client())
