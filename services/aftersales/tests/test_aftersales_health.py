"""The aftersales service skeleton answers the endpoints every service has."""

from aftersales.app import create_app
from aftersales.definition import DEFINITION
from service_runtime.testing.checks import assert_ops_endpoints, migrated_app


def test_ops_endpoints_and_problem_errors(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("aftersales")) as app:
        assert_ops_endpoints(app.test_client())
