"""The analytics service answers the endpoints every service has, and its models match
its migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from analytics.app import create_app
from analytics.definition import DEFINITION
from analytics.models import Base
from service_runtime.testing.checks import assert_ops_endpoints, migrated_app


def test_ops_endpoints_and_problem_errors(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("analytics")) as app:
        assert_ops_endpoints(app.test_client())


def test_the_migrations_create_what_the_models_describe(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("analytics")) as app:
        engine = app.extensions["db"].engine
        with engine.connect() as connection:
            ours = set(Base.metadata.tables)
            context = MigrationContext.configure(connection, opts={
                # The runtime's tables (outbox, inbox) are the runtime's branch.
                "include_name": lambda name, kind, parent: kind != "table" or name in ours,
            })
            assert compare_metadata(context, Base.metadata) == []
