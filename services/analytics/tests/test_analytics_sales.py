"""Business events into the fact tables (once each, in any order) and the admin's sales
report from them; every expected figure is worked out by hand in ``analytics_history``."""

import random

import pytest
from analytics_history import HISTORY, figures, product

SALES = "/api/v1/admin/analytics/sales"
WINDOW = "from=2026-11-20&to=2026-11-22"

BY_DAY = [
    # A and B: 10000 + 3000; A paid; A's 2500 refunded; 13000 / 2.
    {"day": "2026-11-20", **figures(2, 13000, 1, 10000, 2500, 6500)},
    # C (placed the 22nd in Beijing, the 21st in UTC); its duplicate charge is no refund.
    {"day": "2026-11-21", **figures(1, 6001, 1, 6001, 0, 6001)},
]
# 19001 / 3 = 6333.67, rounded to 6334. D is after the window, E in another currency.
TOTALS = figures(3, 19001, 2, 16001, 2500, 6334)
BY_PRODUCT = [
    # A's 6000 and C's 2 x 2500; A's refund shared pro rata: 6000 x 2500 / 10000 = 1500.
    {"product_id": 1, **figures(2, 11000, 2, 11000, 1500, 5500)},
    {"product_id": 3, **figures(1, 4000, 1, 4000, 1000, 4000)},  # 4000 x 2500 / 10000
    {"product_id": 2, **figures(1, 3000, 0, 0, 0, 3000)},
    {"product_id": 4, **figures(1, 1001, 1, 1001, 0, 1001)},
]
BY_CATEGORY = [
    # Products 1 and 2: orders A, B and C; 14000 / 3 = 4666.67, rounded to 4667.
    {"category_id": 10, **figures(3, 14000, 2, 11000, 1500, 4667)},
    {"category_id": 20, **figures(1, 4000, 1, 4000, 1000, 4000)},
    {"category_id": None, **figures(1, 1001, 1, 1001, 0, 1001)},  # product 4: not known
]


@pytest.fixture
def history(example_event):  # type: ignore[no-untyped-def]
    return [example_event(event_type, **data) for event_type, data in HISTORY]


def apply_all(consumer, events) -> None:  # type: ignore[no-untyped-def]
    for event in events:
        assert consumer.apply(event) is True


def sales(client, admin, group_by, extra=""):  # type: ignore[no-untyped-def]
    response = client.get(f"{SALES}?{WINDOW}&group_by={group_by}{extra}", headers=admin)
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize("order", ["as-published", "reversed", "shuffled"])
def test_sales_by_day_category_and_product_whatever_order_the_events_came_in(
        client, consumer, admin, history, order):
    if order == "reversed":
        history.reverse()
    elif order == "shuffled":
        random.Random(14).shuffle(history)
    apply_all(consumer, history)
    by_day = sales(client, admin, "day")
    assert (by_day["from"], by_day["to"], by_day["group_by"], by_day["currency"]) == (
        "2026-11-20", "2026-11-22", "day", "CNY")
    assert by_day["rows"] == BY_DAY
    assert by_day["totals"] == TOTALS
    assert sales(client, admin, "product")["rows"] == BY_PRODUCT
    by_category = sales(client, admin, "category")
    assert by_category["rows"] == BY_CATEGORY
    assert by_category["totals"] == TOTALS  # an order counts once, whatever it holds


def test_a_redelivered_event_changes_nothing(client, consumer, admin, history):
    apply_all(consumer, history)
    for event in history:
        assert consumer.apply(event) is False
    assert sales(client, admin, "day")["totals"] == TOTALS


def test_an_older_product_update_arriving_late_changes_nothing(client, consumer, admin,
                                                               history, example_event):
    apply_all(consumer, history)
    kind, data = product(1, 99, "2026-10-01T00:00:00+00:00")
    late = example_event(kind, **data)
    assert consumer.apply(late) is True
    assert sales(client, admin, "category")["rows"] == BY_CATEGORY
    kind, data = product(2, 20, "2026-11-30T00:00:00+00:00")
    newer = example_event(kind, **data)
    assert consumer.apply(newer) is True
    rows = {row["category_id"]: row for row in sales(client, admin, "category")["rows"]}
    assert rows[10]["gmv"] == 11000 and rows[20]["gmv"] == 7000


def test_another_currency_and_the_row_limit(client, consumer, admin, history):
    apply_all(consumer, history)
    usd = sales(client, admin, "day", "&currency=USD")
    assert usd["rows"] == [{"day": "2026-11-21", **figures(1, 5000, 1, 5000, 0, 5000)}]
    assert sales(client, admin, "product", "&limit=2")["rows"] == BY_PRODUCT[:2]


def test_no_orders_is_all_zeros(client, admin):
    report = sales(client, admin, "day")
    assert report["rows"] == []
    assert report["totals"] == figures(0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("query", [
    "from=2026-11-22&to=2026-11-20",  # backwards
    "from=2025-01-01&to=2026-11-22",  # more than 366 days
    "from=2026-11-20",  # no end
    f"{WINDOW}&group_by=week",
    f"{WINDOW}&currency=cny",
    f"{WINDOW}&limit=0",
    "from=yesterday&to=2026-11-22",
])
def test_a_bad_query_is_a_422(client, admin, query):
    response = client.get(f"{SALES}?{query}", headers=admin)
    assert response.status_code == 422, response.json
    assert response.json["type"] == "urn:shop:problem:validation-error"


def test_the_reports_are_for_admins_only(client, alice):
    for path in (f"{SALES}?{WINDOW}", f"/api/v1/admin/analytics/funnel?{WINDOW}"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=alice).status_code == 403
