"""The demo shopping history (``./platform run``'s): made once per database by the worker's
job when the catalog is known, through the handlers' own domain effects, so the reports,
retention, profiles and recommendations all answer from it; never through the
middle-platform feed; off unless asked for."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from analytics import profiles, recs_read, reports, retention
from analytics.definition import worker_loops
from analytics.demo_history import Sku, generate, shopper_id
from analytics.demo_history_job import QUIET, Outcome, make_once
from analytics.domain import SalesGrouping
from analytics.feed_models import IntegrationRecord, WebhookDelivery
from analytics.models import BehaviourEvent, OrderFact
from analytics.profile_rules import Segment
from analytics.recommendations import SETTLE, count_views
from analytics.schemas import TrackEventSchema
from analytics.settings import AnalyticsSettings
from service_runtime.tables import outbox_messages

DAYS = 56
SHOPPERS = 80
# id: (category, price); the catalog's SKUs are S<id> and T<id> (twice the price).
PRODUCTS = {1: (10, 9900), 2: (10, 2500), 3: (10, 29900), 4: (20, 16800), 5: (20, 3900),
            6: (20, 49900), 7: (30, 12000), 8: (30, 5000)}


def product_event(example_event, product_id):  # type: ignore[no-untyped-def]
    category, price = PRODUCTS[product_id]
    return example_event("ProductUpdated", product_id=product_id, name=f"Product {product_id}",
                         brand="B", category_id=category, category_path=[category],
                         updated_at="2026-11-22T08:00:00+00:00", skus=[
                             {"sku": f"{k}{product_id}", "attributes": {}, "available": 5,
                              "price": {"amount": price * n, "currency": "CNY"}}
                             for k, n in (("S", 1), ("T", 2))])


@pytest.fixture
def catalog(consumer, example_event):  # type: ignore[no-untyped-def]
    """The products as ProductUpdated events told them (the consumer's full path)."""
    for product_id in PRODUCTS:
        assert consumer.apply(product_event(example_event, product_id))


def feed_rows(db):  # type: ignore[no-untyped-def]
    with db.read() as session:
        return (session.scalar(select(func.count()).select_from(IntegrationRecord)),
                session.scalar(select(func.count()).select_from(outbox_messages)),
                session.scalar(select(func.count()).select_from(WebhookDelivery)))


def count_all_views(db, at):  # type: ignore[no-untyped-def]
    """The view counter's job until it has nothing more (as the worker runs it)."""
    while count_views(db, at + SETTLE + timedelta(seconds=1)):
        pass


@pytest.fixture
def made(db, catalog):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC) + QUIET + timedelta(seconds=1)
    before = feed_rows(db)
    assert make_once(db, DAYS, now, shoppers=SHOPPERS) is Outcome.MADE
    count_all_views(db, now)
    return now, before


def test_reports_answer_from_the_history(db, made):
    now, _ = made
    start, end = (now - timedelta(days=DAYS)).date(), now.date()
    by_day = reports.sales(db, start, end, SalesGrouping.DAY, "CNY", 400)
    assert len(by_day["rows"]) >= 20  # sales on many different days
    totals = by_day["totals"]
    assert 0 < totals["paid_orders"] < totals["orders"]  # some paid, some cancelled
    assert 0 < totals["refunded"] < totals["paid"]
    categories = reports.sales(db, start, end, SalesGrouping.CATEGORY, "CNY", 10)
    assert {row["category_id"] for row in categories["rows"]} == {10, 20, 30}
    funnel = reports.funnel(db, start, end)
    assert all(step["users"] > 0 and step["reached"] > 0 for step in funnel["steps"])
    cohorts = retention.retention(db, start, end, 4)["cohorts"]
    assert len(cohorts) > 1
    assert any(sum(cohort["active"][1:]) > 0 for cohort in cohorts)  # some come back


def test_recommendations_and_profiles_answer_from_the_history(db, made):
    now, _ = made
    product = recs_read.for_product(db, 1, 5)
    assert product["bought_together"] and product["viewed_together"]
    assert product["fallback"] is False and product["similar"]
    # Shoppers keep to their categories: products seen with product 1 are mostly its own.
    assert product["viewed_together"][0]["category_id"] == 10
    with db.read() as session:
        buyers = list(session.scalars(select(OrderFact.user_id).distinct()))
    assert buyers and all(user.startswith("demo-shopper-") for user in buyers)
    mine = recs_read.for_user(db, buyers[0], 5)
    assert mine["source"] == "personal" and mine["items"]
    tagged = [profiles.profile(db, user, now) for user in buyers]
    assert all(p["preferred_categories"] for p in tagged)
    segments = {p["segment"] for p in tagged}
    assert segments - {Segment.PROSPECT.value}  # buyers, not all prospects
    assert {p["price_band"] for p in tagged} - {None}


def test_nothing_reaches_the_middle_platform_feed(db, made):
    _, before = made
    assert feed_rows(db) == before  # the products' own records only
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(IntegrationRecord)
                              .where(IntegrationRecord.entity_type != "inventory")) == 0


def test_made_once_per_database(db, made):
    now, _ = made
    with db.read() as session:
        events = session.scalar(select(func.count()).select_from(BehaviourEvent))
        orders = session.scalar(select(func.count()).select_from(OrderFact))
    assert make_once(db, DAYS, now + timedelta(hours=1), shoppers=SHOPPERS) is Outcome.EXISTS
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(BehaviourEvent)) == events
        assert session.scalar(select(func.count()).select_from(OrderFact)) == orders


def test_it_waits_for_the_catalog(db, consumer, example_event):
    now = datetime.now(UTC)
    assert make_once(db, DAYS, now, shoppers=SHOPPERS) is Outcome.WAITING  # no product
    assert consumer.apply(product_event(example_event, 1))
    # Products still arriving: the rest of the catalog may follow.
    assert make_once(db, DAYS, datetime.now(UTC), shoppers=SHOPPERS) is Outcome.WAITING
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(BehaviourEvent)) == 0
        assert session.scalar(select(func.count()).select_from(OrderFact)) == 0
    later = datetime.now(UTC) + QUIET + timedelta(seconds=1)
    assert make_once(db, DAYS, later, shoppers=SHOPPERS) is Outcome.MADE


def test_off_by_default_and_a_worker_loop_when_asked(db):
    assert AnalyticsSettings().demo_history_days == 0
    names = [factory(db).__name__ for factory in worker_loops(AnalyticsSettings())]
    assert "demo_history" not in names
    asked = [factory(db).__name__
             for factory in worker_loops(AnalyticsSettings(demo_history_days=7))]
    assert "demo_history" in asked


def test_the_same_catalog_gives_the_same_history(db, made):
    now, _ = made
    with db.read() as session:
        users = set(session.scalars(select(BehaviourEvent.user_id).distinct()))
        first = session.scalar(select(func.min(OrderFact.placed_on)))
    assert users == {shopper_id(n) for n in range(1, SHOPPERS + 1)}
    assert now.date() - timedelta(days=DAYS) <= first < now.date() - timedelta(days=DAYS - 14)
    catalog = [Sku(p, c, f"Product {p}", f"S{p}", price, "CNY")
               for p, (c, price) in PRODUCTS.items()]
    assert generate(catalog, DAYS, now, 20) == generate(list(reversed(catalog)), DAYS, now, 20)
    assert generate(catalog, DAYS, now, 20) != generate(catalog, DAYS, now, 20, seed=1)


def test_behaviour_events_are_what_post_track_would_keep(db, made):
    """Every row as a client's event passes the /track schema (its age aside: the history
    is older than a client may buffer)."""
    now = datetime.now(UTC).isoformat()
    with db.read() as session:
        rows = session.execute(select(BehaviourEvent)).scalars().all()
    assert {row.type for row in rows} == {"page_view", "search", "add_to_cart"}
    for row in rows:
        TrackEventSchema().load({
            "type": row.type, "occurred_at": now, "session_id": row.session_id,
            "event_id": row.event_id, "path": row.path, "product_id": row.product_id,
            "props": row.props})
