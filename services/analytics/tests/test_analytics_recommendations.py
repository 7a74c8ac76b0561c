"""Recommendations on a small history whose answers are worked out by hand: bought
together (orders heard as events), viewed together (sessions sent to POST /track, counted
by the worker's job), similar (category, price band, brand), personal, and the popular
fallback for a product or user analytics knows nothing of."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from analytics import recommendations, tracking
from analytics.recommendations import MAX_SESSION_PRODUCTS, count_views
from analytics.recs_models import RecPair, RecSessionProduct
from service_runtime.testing.plugin import bearer

# id: (category, brand, price)
PRODUCTS = {1: (10, "A", 10000), 2: (10, "A", 12000), 3: (10, "B", 11000),
            4: (10, "A", 90000), 5: (20, "A", 10000), 6: (10, "B", 50000)}
ORDERS = [("o1", "alice", [1, 2]), ("o2", "u2", [1, 2, 3]), ("o3", "u3", [1, 3]),
          ("o4", "u4", [2, 5]), ("o5", "u5", [1, 2])]
# session: (user, products viewed in order)
SESSIONS = {"s1": ("alice", [1, 4, 6]), "s2": (None, [1, 4, 4]), "s3": ("bob", [6, 1]),
            "s4": (None, [4, 1])}
LATER = timedelta(minutes=1)  # past the view counter's settling time


def product_event(example_event, product_id, price=None, at="2026-11-22T08:00:00+00:00"):  # type: ignore[no-untyped-def]
    category, brand, amount = PRODUCTS[product_id]
    return example_event("ProductUpdated", product_id=product_id, name=f"p{product_id}",
                         brand=brand, category_id=category, category_path=[category],
                         updated_at=at, skus=[
                             {"sku": f"S{product_id}", "attributes": {}, "available": 1,
                              "price": {"amount": price or amount, "currency": "CNY"}},
                             {"sku": f"T{product_id}", "attributes": {}, "available": 1,
                              "price": {"amount": (price or amount) * 2, "currency": "CNY"}}])


def order_event(example_event, order_id, user_id, products):  # type: ignore[no-untyped-def]
    return example_event("OrderPlaced", order_id=order_id, user_id=user_id, lines=[
        {"sku": f"S{p}", "quantity": 1, "unit_price": {"amount": 100, "currency": "CNY"},
         "product_id": p} for p in products])


def track(client, signing_key, session_id, user, products, tag=""):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC).isoformat()
    events = [{"type": "page_view", "session_id": session_id, "occurred_at": now,
               "product_id": p, "event_id": f"{session_id}-{tag}{n}"}
              for n, p in enumerate(products)]
    headers = bearer(signing_key, user) if user else {}
    answer = client.post("/api/v1/track", json={"events": events}, headers=headers)
    assert answer.status_code == 202, answer.json


@pytest.fixture
def history(client, consumer, example_event, signing_key, db):  # type: ignore[no-untyped-def]
    for product_id in PRODUCTS:
        assert consumer.apply(product_event(example_event, product_id))
    for order in ORDERS:
        assert consumer.apply(order_event(example_event, *order))
    for session_id, (user, products) in SESSIONS.items():
        track(client, signing_key, session_id, user, products)
    assert count_views(db, datetime.now(UTC) + LATER) == 10


def ids(items):  # type: ignore[no-untyped-def]
    return [item["id"] for item in items]


def for_product(client, product_id, query=""):  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v1/products/{product_id}/recommendations{query}")
    assert answer.status_code == 200, answer.json
    return answer.json


def test_bought_together_viewed_together_and_similar(client, history):
    found = for_product(client, 1)
    assert found["fallback"] is False
    assert ids(found["bought_together"]) == [2, 3]  # 3 orders with 2, 2 with 3
    assert ids(found["viewed_together"]) == [4, 6]  # sessions s1, s2, s4 and s1, s3
    # Category 10: within 1.5x of 100.00 first (2, 3: brand A first), then 4 and 6.
    assert ids(found["similar"]) == [2, 3, 4, 6]
    assert found["similar"][0] == {"id": 2, "name": "p2", "brand": "A", "category_id": 10,
                                   "price": {"amount": 12000, "currency": "CNY"}}
    assert ids(for_product(client, 5)["bought_together"]) == [2]
    assert ids(for_product(client, 1, "?limit=1")["similar"]) == [2]


def test_a_product_not_heard_of_gets_popular_products_as_similar(client, history):
    found = for_product(client, 99)
    assert found["fallback"] is True
    assert found["bought_together"] == [] and found["viewed_together"] == []
    # Orders first (1 and 2: 4 each, 1 viewed more), then views (4: 3 sessions, 6: 2).
    assert ids(found["similar"]) == [1, 2, 3, 5, 4, 6]
    assert ids(for_product(client, 1 + 0)["similar"]) == [2, 3, 4, 6]


def test_personal_recommendations_from_views_and_purchases(client, history, alice):
    answer = client.get("/api/v1/users/me/recommendations", headers=alice)
    assert answer.status_code == 200, answer.json
    # Alice bought 1 and 2 (never offered again) and viewed 1, 4, 6: 3 is bought with
    # both her purchases and a best seller of her category; 4 and 6 are viewed with 1.
    assert answer.json["source"] == "personal"
    assert ids(answer.json["items"]) == [3, 4, 6, 5]


def test_a_new_user_gets_the_popular_products(client, history, signing_key):
    answer = client.get("/api/v1/users/me/recommendations?limit=3",
                        headers=bearer(signing_key, "carol"))
    assert answer.json == {"source": "popular", "items": answer.json["items"]}
    assert ids(answer.json["items"]) == [1, 2, 3]


def test_an_empty_shop_answers_empty_lists(client, alice):
    assert for_product(client, 1) == {"product_id": 1, "fallback": True,
                                      "bought_together": [], "viewed_together": [],
                                      "similar": []}
    mine = client.get("/api/v1/users/me/recommendations", headers=alice)
    assert mine.json == {"source": "popular", "items": []}


def test_a_redelivered_order_or_view_is_counted_once(client, consumer, history, example_event,
                                                     signing_key, db):
    before = for_product(client, 1)
    again = order_event(example_event, *ORDERS[1])  # the same order, another envelope
    assert consumer.apply(again)
    assert consumer.apply(again) is False  # the same envelope: the inbox drops it
    for session_id, (user, products) in SESSIONS.items():  # a client's retry
        track(client, signing_key, session_id, user, products)
    track(client, signing_key, "s1", "alice", [6, 1], tag="b")  # new events, products seen before
    assert count_views(db, datetime.now(UTC) + LATER) == 2
    assert count_views(db, datetime.now(UTC) + LATER) == 0
    assert for_product(client, 1) == before


def test_views_wait_until_settled_and_a_price_is_the_newest(client, consumer, history,
                                                             example_event, signing_key, db):
    track(client, signing_key, "s9", None, [5, 3])
    assert count_views(db, datetime.now(UTC) - timedelta(minutes=1)) == 0
    assert count_views(db, datetime.now(UTC) + LATER) == 2
    assert ids(for_product(client, 5)["viewed_together"]) == [3]
    assert consumer.apply(product_event(example_event, 2, price=30000,
                                        at="2026-11-23T08:00:00+00:00"))
    assert consumer.apply(product_event(example_event, 2, price=10000,
                                        at="2026-11-21T08:00:00+00:00"))  # older: ignored
    assert ids(for_product(client, 1)["similar"]) == [3, 2, 4, 6]  # 2 is now 3x the price


def test_a_session_pairs_at_most_its_first_products(db):
    views = [("robot", None, p) for p in range(100, 130)]
    with db.transaction() as session:
        recommendations.views_seen(session, views)
    with db.transaction() as session:
        kept = session.scalar(select(func.count()).select_from(RecSessionProduct)
                              .where(RecSessionProduct.session_id == "robot"))
        pairs = session.scalar(select(func.count()).select_from(RecPair))
    assert kept == MAX_SESSION_PRODUCTS
    assert pairs == MAX_SESSION_PRODUCTS * (MAX_SESSION_PRODUCTS - 1)


def test_signing_in_is_needed_for_ones_own_and_limits_are_checked(client):
    assert client.get("/api/v1/users/me/recommendations").status_code == 401
    assert client.get("/api/v1/products/1/recommendations?limit=0").status_code == 422
    assert client.get("/api/v1/products/1/recommendations?limit=51").status_code == 422
    assert client.get(f"/api/v1/products/{2**31}/recommendations").status_code == 404
    assert client.get("/api/v1/products/x/recommendations").status_code == 404


def test_the_view_counter_never_passes_an_event_not_yet_settled(db):
    now = datetime.now(UTC)

    def row(event_id, received_at):  # type: ignore[no-untyped-def]
        return {"session_id": "s", "event_id": event_id, "user_id": None, "type": "page_view",
                "name": None, "occurred_at": now, "received_at": received_at, "path": None,
                "product_id": int(event_id), "props": None}

    insert = tracking.inserter(db)
    insert([row("1", now)])  # its process was slower to insert: the lower id, received later
    insert([row("2", now - timedelta(hours=1))])
    assert count_views(db, now) == 0, "the fresh first one holds back the second"
    assert count_views(db, now + LATER) == 2


def test_what_was_counted_is_forgotten_after_the_kept_days_and_the_counts_stay(
        db, monkeypatch):
    """The rows that keep an order or a (visit, product) from counting twice go after
    ANALYTICS_RECS_COUNTED_DAYS, batch by batch; rows from before they were dated are
    dated first, not deleted; the counts they fed stay as they were."""
    from sqlalchemy import update

    from analytics import recs_retention
    from analytics.recs_models import RecBasket, RecProduct
    from analytics.recs_retention import prune_counted

    kept_for = timedelta(days=30)
    now = datetime.now(UTC)
    with db.transaction() as session:
        recommendations.order_placed(session, {"order_id": "ord-old", "user_id": None,
                                               "lines": [{"product_id": 1}, {"product_id": 2}]})
        recommendations.order_placed(session, {"order_id": "ord-new", "user_id": None,
                                               "lines": [{"product_id": 1}]})
        recommendations.views_seen(session, [("visit-old", None, 1), ("visit-old", None, 2),
                                             ("visit-new", None, 3)])
        recommendations.views_seen(session, [("visit-undated", None, 4)])
    with db.transaction() as session:
        for table, column, value in ((RecBasket, RecBasket.order_id, "ord-old"),
                                     (RecSessionProduct, RecSessionProduct.session_id,
                                      "visit-old")):
            session.execute(update(table).where(column == value)
                            .values(counted_at=now - timedelta(days=31)))
        session.execute(update(RecSessionProduct)
                        .where(RecSessionProduct.session_id == "visit-undated")
                        .values(counted_at=None))  # as the release before wrote it

    def remembered() -> tuple[set, set, dict]:
        with db.read() as session:
            return (set(session.scalars(select(RecBasket.order_id))),
                    set(session.execute(select(RecSessionProduct.session_id,
                                               RecSessionProduct.counted_at.is_(None)))),
                    {row.product_id: (row.orders, row.views)
                     for row in session.scalars(select(RecProduct))})

    counts = remembered()[2]
    assert prune_counted(db, kept_for, now) == 4  # three old rows gone, one dated
    baskets, visits, after = remembered()
    assert baskets == {"ord-new"}
    assert visits == {("visit-new", False), ("visit-undated", False)}
    assert after == counts
    assert prune_counted(db, kept_for, now) == 0
    assert prune_counted(db, kept_for, now + timedelta(days=31)) == 3  # dated "now" above

    monkeypatch.setattr(recs_retention, "BATCH", 2)  # a long backlog goes batch by batch
    with db.transaction() as session:
        recommendations.views_seen(session, [(f"visit-{n}", None, 1) for n in range(5)])
    later = now + timedelta(days=62)
    assert [prune_counted(db, kept_for, later) for _ in range(4)] == [2, 2, 1, 0]
    assert remembered()[:2] == (set(), set())
