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


def test_the_worker_runs_the_expiry_job(db) -> None:
    """The definition's loop marks coupons past their validity expired, and stops."""
    import threading
    from datetime import UTC, datetime, timedelta

    from marketing.models import CouponTemplate, UserCoupon
    from marketing.settings import MarketingSettings

    past = datetime.now(UTC) - timedelta(days=1)
    with db.transaction() as session:
        session.add(CouponTemplate(
            id="cpt_0000000000000000000001", name="x", kind="free_shipping", currency="CNY",
            min_spend=0, scope={"kind": "all"}, valid_days=1, total_quantity=1, issued=1,
            per_user_limit=1, claimable=True, auto_issue="none", priority=0,
            stacks_with_promotions=True, status="active", created_at=past, updated_at=past))
        session.add(UserCoupon(id="ucp_0000000000000000000001",
                               template_id="cpt_0000000000000000000001", user_id="alice",
                               nth=1, status="available", source="claim", valid_from=past,
                               valid_until=past + timedelta(hours=1), issued_at=past))
    # The coupon expiry loop (the others fail group buys, end flash sessions).
    factory = DEFINITION.loops_for(MarketingSettings(expiry_interval_ms=100))[0]
    stop = threading.Event()
    loop = threading.Thread(target=factory(db), args=(stop,))
    loop.start()
    try:
        for _ in range(50):
            with db.read() as session:
                if session.get(UserCoupon, "ucp_0000000000000000000001").status == "expired":
                    break
            stop.wait(0.1)
        else:
            raise AssertionError("the coupon was not expired")
    finally:
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()
