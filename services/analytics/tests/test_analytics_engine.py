"""The DuckDB path over the Parquet copy answers exactly what the database path does:
funnel, sales by day and retention, on the sales and insights histories together; the
copy grows by parts, each event copied once."""

from datetime import UTC, date, datetime, timedelta

import analytics_history
import duckdb
import insights_history
import pytest
from test_analytics_insights import W0, W1, record_tracked

from analytics import engine, reports, retention, warehouse
from analytics.domain import SalesGrouping
from analytics.models import BehaviourEvent

LATER = datetime(2027, 1, 1, tzinfo=UTC)  # every event settled


@pytest.fixture
def everything(consumer, db, example_event):  # type: ignore[no-untyped-def]
    for event_type, data in analytics_history.HISTORY + insights_history.HISTORY:
        assert consumer.apply(example_event(event_type, **data)) is True
    record_tracked(db)
    with db.transaction() as session:  # a funnel: alice views and carts product 1
        for number, kind in enumerate(("page_view", "add_to_cart")):
            at = datetime(2026, 11, 20, 9, number, tzinfo=UTC)
            session.add(BehaviourEvent(session_id="f", event_id=f"f{number}", user_id="alice",
                                       type=kind, product_id=1, occurred_at=at,
                                       received_at=at))


def test_the_duckdb_path_answers_what_the_database_does(db, everything, tmp_path):
    assert warehouse.flush(db, tmp_path, LATER) is False
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    funnel = engine.funnel(tmp_path, start, end)
    assert funnel == reports.funnel(db, start, end)
    # Alice viewed; alice and carol carted; five bought and each paid (an order at least).
    assert [step["users"] for step in funnel["steps"]] == [1, 2, 5, 5]
    sales = engine.sales_by_day(tmp_path, start, end, "CNY", 100)
    assert sales == reports.sales(db, start, end, SalesGrouping.DAY, "CNY", 100)
    assert sales["totals"]["orders"] == 8
    assert engine.sales_by_day(tmp_path, start, end, "USD", 1) == \
        reports.sales(db, start, end, SalesGrouping.DAY, "USD", 1)
    cohorts = engine.retention(tmp_path, date(2026, 11, 2), date(2026, 11, 15), 3)
    assert cohorts == retention.retention(db, date(2026, 11, 2), date(2026, 11, 15), 3)
    # The sales history's orders of 11-20/21 (W2): bob's B puts him active at W0+2; carol's
    # C and erin's E at W1+1.
    assert [(c["users"], c["active"]) for c in cohorts["cohorts"]] == [
        (2, [2, 2, 2, 0]), (2, [2, 2, 0, 0])]


def test_an_empty_copy_answers_zeros(tmp_path):
    funnel = engine.funnel(tmp_path, date(2026, 11, 1), date(2026, 11, 30))
    assert [step["users"] for step in funnel["steps"]] == [0, 0, 0, 0]
    assert engine.retention(tmp_path, date(2026, 11, 2), date(2026, 11, 15), 3)[
        "cohorts"] == []


def test_the_copy_grows_by_parts_each_event_once(db, tmp_path):
    def add(first: int, count: int, received: datetime) -> None:
        with db.transaction() as session:
            session.add_all(BehaviourEvent(
                session_id="s", event_id=str(n), user_id="u", type="page_view", product_id=1,
                occurred_at=received, received_at=received) for n in range(first, first + count))

    now = datetime(2026, 11, 20, tzinfo=UTC)
    add(0, 5, now - timedelta(minutes=1))
    add(5, 2, now)  # not settled yet
    assert warehouse.flush(db, tmp_path, now, batch=3) is True  # a full batch: go again
    assert warehouse.flush(db, tmp_path, now, batch=3) is False
    assert warehouse.flush(db, tmp_path, now, batch=3) is False  # nothing new
    assert warehouse.watermark(tmp_path) == 5
    assert warehouse.flush(db, tmp_path, now + timedelta(minutes=1)) is False
    parts = sorted(p.name for p in warehouse.events_dir(tmp_path).iterdir())
    assert parts == ["part-000000000001-000000000003.parquet",
                     "part-000000000004-000000000005.parquet",
                     "part-000000000006-000000000007.parquet"]
    count = duckdb.sql(f"SELECT count(DISTINCT id), count(*) FROM "
                       f"read_parquet('{warehouse.events_dir(tmp_path)}/*.parquet')").fetchall()
    assert count == [(7, 7)]


@pytest.fixture
def duckdb_settings(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANALYTICS_QUERY_ENGINE", "duckdb")
    monkeypatch.setenv("ANALYTICS_WAREHOUSE_DIR", str(tmp_path))
    return tmp_path


def test_the_api_answers_from_the_copy_when_told(duckdb_settings, client, db, admin,
                                                 everything):
    url = "/api/v1/admin/analytics/retention?from=2026-11-02&to=2026-11-15&weeks=3"
    assert client.get(url, headers=admin).json["cohorts"] == []  # nothing copied yet
    warehouse.flush(db, duckdb_settings, LATER)
    cohorts = client.get(url, headers=admin).json["cohorts"]
    assert [(c["week_start"], c["active"]) for c in cohorts] == [
        (W0["week_start"], [2, 2, 2, 0]), (W1["week_start"], [2, 2, 0, 0])]
    funnel = client.get("/api/v1/admin/analytics/funnel?from=2026-11-01&to=2026-11-30",
                        headers=admin).json
    assert [step["users"] for step in funnel["steps"]] == [1, 2, 5, 5]
