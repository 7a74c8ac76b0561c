"""The logistics service answers the endpoints every service has; its migrations match
its models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from logistics.app import create_app
from logistics.definition import DEFINITION
from logistics.models import Base
from service_runtime.testing.checks import assert_ops_endpoints, migrated_app


def mine(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """Only this service's tables (the runtime's outbox and inbox are checked elsewhere)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in Base.metadata.tables


def test_ops_endpoints_and_problem_errors(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("logistics")) as app:
        assert_ops_endpoints(app.test_client())


def test_the_migrations_build_exactly_the_models(new_database) -> None:
    url = new_database("logistics")
    with migrated_app(DEFINITION, create_app, url) as app:
        engine = create_engine(app.extensions["db"].url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={
                    "compare_type": True, "include_object": mine})
                diff = compare_metadata(context, Base.metadata)
        finally:
            engine.dispose()
    assert diff == []
