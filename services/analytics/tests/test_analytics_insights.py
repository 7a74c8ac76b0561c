"""Retention, promotions and user profiles from a small history
(``insights_history``), every expected figure worked out by hand."""

import random
from datetime import UTC, datetime

import pytest
from insights_history import HISTORY, TRACKED

from analytics import insights_api
from analytics.models import BehaviourEvent

BASE = "/api/v1/admin/analytics"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def record_tracked(db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        for number, (user, kind, at) in enumerate(TRACKED):
            moment = datetime.fromisoformat(at)
            session.add(BehaviourEvent(session_id=f"s{number}", event_id=f"e{number}",
                                       user_id=user, type=kind, occurred_at=moment,
                                       received_at=moment))


@pytest.fixture
def history(example_event):  # type: ignore[no-untyped-def]
    return [example_event(event_type, **data) for event_type, data in HISTORY]


@pytest.fixture
def applied(consumer, db, history, request):  # type: ignore[no-untyped-def]
    order = getattr(request, "param", "as-published")
    if order == "reversed":
        history.reverse()
    elif order == "shuffled":
        random.Random(7).shuffle(history)
    for event in history:
        assert consumer.apply(event) is True
    record_tracked(db)
    return history


def get(client, admin, path):  # type: ignore[no-untyped-def]
    response = client.get(f"{BASE}{path}", headers=admin)
    assert response.status_code == 200, response.json
    return response.json


# W0 cohort: alice and bob (first orders 11-03, 11-05). +1: both tracked in W1. +2: alice
# ordered O2. +3: nobody. W1 cohort: carol (her cancelled order counts as her first);
# +1: tracked in W2. Frank never ordered; dave's and erin's first orders are elsewhere
# (erin's W1 order: her cohort is W1 too).
W0 = {"week_start": "2026-11-02", "users": 2, "active": [2, 2, 1, 0],
      "retention": [1.0, 1.0, 0.5, 0.0]}
W1 = {"week_start": "2026-11-09", "users": 2, "active": [2, 1, 0, 0],
      "retention": [1.0, 0.5, 0.0, 0.0]}


@pytest.mark.parametrize("applied", ["as-published", "reversed", "shuffled"], indirect=True)
def test_weekly_cohort_retention(client, admin, applied):
    report = get(client, admin, "/retention?cohort=week&from=2026-11-02&to=2026-11-15&weeks=3")
    assert report == {"cohort": "week", "weeks": 3, "cohorts": [W0, W1]}


def test_a_cohort_is_asked_for_whole_weeks(client, admin, applied):
    # From a Tuesday: W0 is not whole, so the first cohort is W1; 'to' mid-week holds W1.
    report = get(client, admin, "/retention?from=2026-11-03&to=2026-11-10&weeks=3")
    assert report["cohorts"] == [W1]
    none = get(client, admin, "/retention?from=2026-11-23&to=2026-11-29&weeks=0")
    assert none["cohorts"] == []


# promo-300: O1 (1000) and O3 (2000 + 500): two paid orders, 35000 GMV. cpt-A: O1 (500)
# and O2 (300), one paid, 13000 GMV; erin's USD order is another currency. Points and
# shipping are no promotion.
PROMO = {"kind": "full_reduction", "source_id": "promo-300", "label": "full_reduction promo-300",
         "orders": 2, "paid_orders": 2, "discount": 3500, "gmv": 35000}
COUPON = {"kind": "coupon", "source_id": "cpt-A", "label": "coupon cpt-A", "orders": 2,
          "paid_orders": 1, "discount": 800, "gmv": 13000}


@pytest.mark.parametrize("applied", ["as-published", "shuffled"], indirect=True)
def test_promotions_per_source(client, admin, applied, consumer):
    report = get(client, admin, "/promotions?from=2026-11-01&to=2026-11-30")
    assert report == {"from": "2026-11-01", "to": "2026-11-30", "currency": "CNY",
                      "rows": [PROMO, COUPON]}
    for event in applied:  # redelivered: nothing counts twice
        assert consumer.apply(event) is False
    assert get(client, admin, "/promotions?from=2026-11-01&to=2026-11-30")["rows"] == [
        PROMO, COUPON]


def test_promotions_window_currency_and_limit(client, admin, applied):
    early = get(client, admin, "/promotions?from=2026-11-01&to=2026-11-10")["rows"]
    assert early == [PROMO, {**COUPON, "orders": 1, "discount": 500, "gmv": 10000}]
    usd = get(client, admin, "/promotions?from=2026-11-01&to=2026-11-30&currency=USD")
    assert usd["rows"] == [{**COUPON, "orders": 1, "paid_orders": 0, "discount": 100,
                            "gmv": 5000}]
    assert get(client, admin, "/promotions?from=2026-11-01&to=2026-11-30&limit=1")[
        "rows"] == [PROMO]


# At NOW (12-01): alice ordered 11-03 and 11-17 (14 days ago; gap 14 days: ratio 1),
# 13000 for 4 items (3250 each: budget); R3 F2 M1: loyal. Bob: one order 26 days ago
# (ratio 26/30), 25000 for one item (premium); R3 F1 M1: new. Carol's only order was
# cancelled: a prospect, her interest kept. Dave: 214 days ago (beyond 180: high),
# 60000 (M2); R1 F1: hibernating.
PROFILES = {
    "alice": {"orders": 2, "spent": 13000, "units": 4, "segment": "loyal",
              "rfm": {"recency": 3, "frequency": 2, "monetary": 1}, "recency_days": 14,
              "price_band": "budget", "churn_risk": "low",
              "first_order_at": "2026-11-03T00:00:00+00:00",
              "last_order_at": "2026-11-17T00:00:00+00:00",
              "preferred_categories": [{"category_id": 10, "units": 3},
                                       {"category_id": 20, "units": 1}]},
    "bob": {"orders": 1, "spent": 25000, "units": 1, "segment": "new",
            "rfm": {"recency": 3, "frequency": 1, "monetary": 1}, "recency_days": 26,
            "price_band": "premium", "churn_risk": "low",
            "first_order_at": "2026-11-05T00:00:00+00:00",
            "last_order_at": "2026-11-05T00:00:00+00:00",
            "preferred_categories": [{"category_id": 20, "units": 1}]},
    "carol": {"orders": 0, "spent": 0, "units": 0, "segment": "prospect", "rfm": None,
              "recency_days": None, "price_band": None, "churn_risk": None,
              "first_order_at": "2026-11-10T00:00:00+00:00",
              "last_order_at": "2026-11-10T00:00:00+00:00",
              "preferred_categories": [{"category_id": 10, "units": 1}]},
    "dave": {"orders": 1, "spent": 60000, "units": 1, "segment": "hibernating",
             "rfm": {"recency": 1, "frequency": 1, "monetary": 2}, "recency_days": 214,
             "price_band": "premium", "churn_risk": "high",
             "first_order_at": "2026-05-01T00:00:00+00:00",
             "last_order_at": "2026-05-01T00:00:00+00:00",
             "preferred_categories": [{"category_id": 10, "units": 1}]},
}


@pytest.mark.parametrize("applied", ["as-published", "reversed", "shuffled"], indirect=True)
def test_user_profiles_whatever_order_the_events_came_in(client, admin, applied,
                                                         monkeypatch):
    monkeypatch.setattr(insights_api, "utcnow", lambda: NOW)
    for user, expected in PROFILES.items():
        assert get(client, admin, f"/users/{user}") == {
            "user_id": user, "currency": "CNY", **expected, "imported_tags": {}}


def test_a_cancellation_after_the_order_takes_it_back(client, admin, applied, consumer,
                                                      example_event, monkeypatch):
    monkeypatch.setattr(insights_api, "utcnow", lambda: NOW)
    cancel = example_event("OrderCancelled", order_id="O2", user_id="alice", reason="late",
                           lines=[], cancelled_at="2026-11-18T00:00:00+00:00")
    assert consumer.apply(cancel) is True
    alice = get(client, admin, "/users/alice")
    # Left: O1 only (10000, 3 items), last ordered 11-17 still (O2 was placed then).
    assert (alice["orders"], alice["spent"], alice["units"], alice["segment"]) == (
        1, 10000, 3, "new")


def test_an_unknown_user_is_a_404(client, admin, applied):
    response = client.get(f"{BASE}/users/frank", headers=admin)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", [
    "/retention?cohort=month",
    "/retention?weeks=-1",
    "/retention?weeks=53",
    "/retention?from=2026-11-20&to=2026-11-01",
    "/retention?from=2025-01-01&to=2026-11-01",  # more than 53 cohorts
    "/retention?from=soon",
    "/promotions?from=2026-11-30&to=2026-11-01",
    "/promotions?from=2026-11-01",
    "/promotions?from=2026-11-01&to=2026-11-30&currency=cny",
    "/promotions?from=2026-11-01&to=2026-11-30&limit=0",
])
def test_a_bad_query_is_a_4xx_problem(client, admin, path):
    response = client.get(f"{BASE}{path}", headers=admin)
    assert response.status_code in (400, 422), response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_the_insights_are_for_admins_only(client, alice):
    for path in ("/retention", "/promotions?from=2026-11-01&to=2026-11-30", "/users/alice"):
        assert client.get(f"{BASE}{path}").status_code == 401
        assert client.get(f"{BASE}{path}", headers=alice).status_code == 403
