"""The marketing service answers the endpoints every service has, and its models match
its migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from marketing.app import create_app
from marketing.definition import DEFINITION
from marketing.models import Base
from service_runtime.testing.checks import assert_ops_endpoints, migrated_app


def test_ops_endpoints_and_problem_errors(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("marketing")) as app:
        assert_ops_endpoints(app.test_client())


def test_the_migrations_create_what_the_models_describe(new_database) -> None:
    with migrated_app(DEFINITION, create_app, new_database("marketing")) as app:
        engine = app.extensions["db"].engine
        with engine.connect() as connection:
            ours = set(Base.metadata.tables)
            context = MigrationContext.configure(connection, opts={
                # The runtime's tables (outbox, inbox) are the runtime's branch.
                "include_name": lambda name, kind, parent: kind != "table" or name in ours,
            })
            assert compare_metadata(context, Base.metadata) == []


def test_the_openapi_document_describes_the_routes(client) -> None:
    paths = client.get("/openapi.json").json["paths"]
    assert {"/api/v1/promotions", "/api/v1/coupons", "/api/v1/coupons/{template_id}/claim",
            "/api/v1/coupons/redeem", "/api/v1/users/me/coupons", "/api/v1/admin/coupons",
            "/api/v1/admin/coupons/{template_id}", "/api/v1/admin/coupons/{template_id}/issue",
            "/api/v1/admin/promotions", "/api/v1/admin/promotions/{promotion_id}",
            "/api/v1/admin/marketing/stats"} <= set(paths)
    assert paths["/api/v1/admin/coupons"]["post"]["security"] == [{"bearerAuth": []}]
