"""The user service skeleton answers the endpoints every service has."""

from service_runtime.testing.checks import assert_ops_endpoints, migrated_app
from user.app import create_app
from user.definition import DEFINITION


def test_ops_endpoints_and_problem_errors(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("user")) as app:
        assert_ops_endpoints(app.test_client())
