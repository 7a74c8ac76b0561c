"""The big-data export: each dataset's changes after a watermark, once each, with user
ids pseudonymised; NDJSON and Parquet alike; files on disk with the watermark beside
them; tags computed by the big-data platform imported back onto the profiles."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from analytics.app import create_app
from analytics.definition import DEFINITION
from analytics.export_cli import export_command, import_tags_command
from analytics.export_datasets import Dataset, parquet_schemas, pseudonym
from analytics.export_models import ImportedProfileTag
from analytics.exports import export
from analytics.feed_models import IntegrationRecord
from analytics.settings import AnalyticsSettings
from service_runtime.ids import utcnow
from service_runtime.testing.plugin import ServiceUnderTest

KEY = AnalyticsSettings().pseudonym_key()
EXPORTS = "/api/v1/admin/exports"
TAGS = "/api/v1/admin/analytics/profile-tags"
T = "2026-11-22T{}:00+00:00".format
KETTLE = "KETTLE-MI-1.7L-WHITE"


def sku(available: int) -> dict:
    return {"sku": KETTLE, "price": {"amount": 9900, "currency": "CNY"}, "attributes": {},
            "available": available}


HISTORY = [
    ("UserRegistered", {"user_id": "u1", "nickname": "李雷", "registered_at": T("06:00")}),
    ("ProductUpdated", {"product_id": 1, "updated_at": T("08:00"), "skus": [sku(119)]}),
    ("OrderPlaced", {"order_id": "o1", "user_id": "u1"}),
    ("ProductUpdated", {"product_id": 1, "updated_at": T("08:30"), "skus": [sku(117)]}),
    ("PaymentConfirmed", {"payment_id": "p1", "order_id": "o1", "user_id": "u1"}),
    ("RefundIssued", {"refund_id": "r1", "order_id": "o1", "user_id": "u1"}),
    ("OrderPlaced", {"order_id": "o2", "user_id": "u2"}),
    ("OrderCancelled", {"order_id": "o2", "user_id": "u2"}),
]


@pytest.fixture
def service_under_test(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANALYTICS_EXPORT_SETTLE_S", "0")  # rows are exported at once
    return ServiceUnderTest(DEFINITION, create_app)


@pytest.fixture
def history(consumer, example_event):  # type: ignore[no-untyped-def]
    for event_type, data in HISTORY:
        assert consumer.apply(example_event(event_type, **data)) is True


def rows(response) -> list[dict]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_orders_export_each_change_with_the_buyer_pseudonymised(client, admin, history):
    response = client.get(f"{EXPORTS}/orders", headers=admin)
    exported = rows(response)
    assert [(r["order_id"], r["sequence"], r["change"], r["status"]) for r in exported] == [
        ("o1", 1, "order_placed", "placed"), ("o1", 2, "order_paid", "paid"),
        ("o1", 3, "order_refunded", "paid"), ("o2", 1, "order_placed", "placed"),
        ("o2", 2, "order_cancelled", "cancelled")]
    assert {r["member_id"] for r in exported} == {pseudonym(KEY, "u1"), pseudonym(KEY, "u2")}
    assert exported[2]["refunded"] > 0 and exported[0]["total"] > 0
    body = response.get_data(as_text=True)
    assert '"u1"' not in body and '"u2"' not in body  # no user id leaves
    assert response.headers["X-Export-Watermark"] == str(exported[-1]["export_id"])
    assert response.headers["X-Export-More"] == "false"
    assert response.mimetype == "application/x-ndjson"


def test_a_consumer_following_the_watermark_gets_every_change_once(
        client, admin, history, consumer, example_event):
    taken, since = [], ""
    while True:  # two at a time
        response = client.get(f"{EXPORTS}/orders?limit=2&since={since}", headers=admin)
        taken += rows(response)
        since = response.headers["X-Export-Watermark"]
        if response.headers["X-Export-More"] == "false":
            break
    assert [r["export_id"] for r in taken] == sorted({r["export_id"] for r in taken})
    assert len(taken) == 5
    # Nothing new: nothing again, the watermark stays.
    again = client.get(f"{EXPORTS}/orders?since={since}", headers=admin)
    assert rows(again) == [] and again.headers["X-Export-Watermark"] == since
    consumer.apply(example_event("OrderCompleted", order_id="o1", user_id="u1"))
    new = rows(client.get(f"{EXPORTS}/orders?since={since}", headers=admin))
    assert [(r["order_id"], r["change"], r["status"]) for r in new] == [
        ("o1", "order_completed", "completed")]


def test_rows_younger_than_the_settling_time_wait_for_the_next_export(db, history):
    now = utcnow()
    settle = timedelta(seconds=30)
    waiting = export(db, Dataset.ORDERS, "", 100, now, KEY, settle)
    assert waiting.rows == [] and waiting.watermark == "0"
    later = export(db, Dataset.ORDERS, waiting.watermark, 100, now + settle, KEY, settle)
    assert len(later.rows) == 5


def test_a_settled_row_numbered_after_an_unsettled_one_waits_with_it(db, history):
    """Two consumers' transactions: the one that took the lower number wrote it later."""
    with db.transaction() as session:
        newest = session.scalars(select(IntegrationRecord).where(
            IntegrationRecord.entity_type == "order").order_by(IntegrationRecord.id.desc())
        ).first()
        lower = session.scalars(select(IntegrationRecord).where(
            IntegrationRecord.entity_type == "order").order_by(IntegrationRecord.id.desc())
        ).all()[1]
        lower.created_at = newest.created_at + timedelta(seconds=60)
    settle = timedelta(seconds=5)
    page = export(db, Dataset.ORDERS, "", 100, newest.created_at + settle, KEY, settle)
    assert [r["export_id"] for r in page.rows][-1] < lower.id and not page.more
    later = export(db, Dataset.ORDERS, page.watermark, 100,
                   lower.created_at + settle, KEY, settle)
    assert [r["export_id"] for r in later.rows] == [lower.id, newest.id]


def test_order_lines_payments_refunds_members_and_inventory_movements(client, admin, history):
    lines = rows(client.get(f"{EXPORTS}/order_lines", headers=admin))
    assert [(r["order_id"], r["line_no"]) for r in lines] == [
        ("o1", 1), ("o1", 2), ("o2", 1), ("o2", 2)]  # the contract example has two lines
    assert all(r["amount"] > 0 and r["quantity"] > 0 and r["sku"] for r in lines)
    [payment] = rows(client.get(f"{EXPORTS}/payments", headers=admin))
    assert (payment["payment_id"], payment["status"], payment["member_id"]) == (
        "p1", "confirmed", pseudonym(KEY, "u1"))
    [refund] = rows(client.get(f"{EXPORTS}/refunds", headers=admin))
    assert refund["refund_id"] == "r1" and refund["amount"] > 0
    [member] = rows(client.get(f"{EXPORTS}/members", headers=admin))
    assert member["member_id"] == pseudonym(KEY, "u1") and "nickname" not in member
    assert member["registered_at"] == T("06:00")
    movements = rows(client.get(f"{EXPORTS}/inventory_movements", headers=admin))
    assert [(m["sku"], m["previous_available"], m["available"], m["movement"])
            for m in movements] == [(KETTLE, None, 119, 119), (KETTLE, 119, 117, -2)]


def test_behaviour_events_leave_with_the_user_pseudonymised(client, admin, alice):
    sent = {"events": [{"type": "page_view", "session_id": "s-9", "path": "/products/7",
                        "product_id": 7, "occurred_at": utcnow().isoformat(),
                        "props": {"来源": "首页"}}]}
    assert client.post("/api/v1/track", json=sent, headers=alice).status_code == 202
    [event] = rows(client.get(f"{EXPORTS}/events", headers=admin))
    assert (event["type"], event["product_id"], event["session_id"]) == ("page_view", 7, "s-9")
    assert event["member_id"] == pseudonym(KEY, "alice")
    assert json.loads(event["props"]) == {"来源": "首页"}


def test_parquet_holds_the_same_rows_with_the_dataset_schema(client, admin, history):
    as_json = rows(client.get(f"{EXPORTS}/orders", headers=admin))
    response = client.get(f"{EXPORTS}/orders?format=parquet", headers=admin)
    assert response.mimetype == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.get_data()))
    assert table.schema.equals(parquet_schemas()[Dataset.ORDERS])
    assert table.column("order_id").to_pylist() == [r["order_id"] for r in as_json]
    assert table.column("member_id").to_pylist() == [r["member_id"] for r in as_json]
    empty = client.get(f"{EXPORTS}/refunds?format=parquet&since=999999", headers=admin)
    assert pq.read_table(io.BytesIO(empty.get_data())).schema.names == \
        parquet_schemas()[Dataset.REFUNDS].names


def test_bad_requests_are_refused(client, admin, alice):
    assert client.get(f"{EXPORTS}/orders").status_code == 401
    assert client.get(f"{EXPORTS}/orders", headers=alice).status_code == 403
    for query in ("/secrets", "/orders?since=abc", "/orders?limit=0", "/orders?format=xml"):
        response = client.get(EXPORTS + query, headers=admin)
        assert response.status_code in (404, 422), query
        assert response.mimetype == "application/problem+json", query


def test_profile_tags_go_out_and_tags_from_the_big_data_platform_come_back(
        client, admin, history, db):
    [u1, u2] = rows(client.get(f"{EXPORTS}/profile_tags", headers=admin))
    # In user id order; only pseudonyms leave.
    assert (u1["member_id"], u2["member_id"]) == (pseudonym(KEY, "u1"), pseudonym(KEY, "u2"))
    assert u1["orders"] == 1 and u1["segment"] != "prospect" and u1["churn_risk"]
    assert u2["orders"] == 0 and u2["segment"] == "prospect"  # its only order was cancelled
    # Paged by position: the watermark names no user either.
    first = client.get(f"{EXPORTS}/profile_tags?limit=1", headers=admin)
    assert rows(first) == [u1] and first.headers["X-Export-Watermark"] == "1"
    second = client.get(f"{EXPORTS}/profile_tags?limit=1&since=1", headers=admin)
    assert rows(second) == [u2] and second.headers["X-Export-More"] == "false"

    stranger = "f" * 32
    tag_file = "\n".join(json.dumps(line) for line in [
        {"member_id": u1["member_id"], "tags": {"lifecycle": "growing", "likes": "厨房电器"}},
        {"member_id": stranger, "tags": {"lifecycle": "new"}}])
    done = client.post(TAGS, data=tag_file, headers={**admin,
                                                     "Content-Type": "application/x-ndjson"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json == {"members": 1, "tags": 2, "unknown": [stranger]}
    profile = client.get("/api/v1/admin/analytics/users/u1", headers=admin).json
    assert profile["imported_tags"] == {"lifecycle": "growing", "likes": "厨房电器"}
    # The next file replaces the member's tags; a bad line refuses the whole file.
    replaced = json.dumps({"member_id": u1["member_id"], "tags": {"lifecycle": "loyal"}})
    assert client.post(TAGS, data=replaced, headers=admin).status_code == 200
    bad = replaced.replace("loyal", "lost") + "\n{\"member_id\": \"u1\", \"tags\": {}}\nnot json"
    refused = client.post(TAGS, data=bad, headers=admin)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json["errors"]} == {"2.member_id", "3"}
    profile = client.get("/api/v1/admin/analytics/users/u1", headers=admin).json
    assert profile["imported_tags"] == {"lifecycle": "loyal"}
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ImportedProfileTag)) == 1


def test_the_export_command_writes_what_is_new_and_keeps_the_watermark(
        db, history, consumer, example_event, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYTICS_DATABASE_URL",
                       db.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    first = runner.invoke(export_command, ["orders", "members", "--out", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "orders: 5 rows" in first.output and "members: 1 rows" in first.output
    [orders_file] = tmp_path.glob("orders-*.ndjson")
    assert len(orders_file.read_text().splitlines()) == 5
    again = runner.invoke(export_command, ["orders", "--out", str(tmp_path)])
    assert "orders: 0 rows" in again.output and len(list(tmp_path.glob("orders-*"))) == 1
    consumer.apply(example_event("OrderCompleted", order_id="o1", user_id="u1"))
    consumer.apply(example_event("MembershipChanged", user_id="u1", changed_at=T("10:00")))
    new = runner.invoke(export_command, ["--out", str(tmp_path), "--limit", "1",
                                         "--format", "parquet"])
    assert new.exit_code == 0, new.output
    assert "orders: 1 rows" in new.output and "members: 1 rows" in new.output
    [parquet] = tmp_path.glob("orders-*.parquet")
    assert pq.read_table(parquet).column("status").to_pylist() == ["completed"]
    # Datasets not exported before start from their beginning, a file a row (--limit 1).
    assert len(list(tmp_path.glob("payments-*.parquet"))) == 1
    assert len(list(tmp_path.glob("inventory_movements-*.parquet"))) == 2

    tags = tmp_path / "tags.ndjson"
    tags.write_text(json.dumps({"member_id": pseudonym(KEY, "u1"), "tags": {"vip": "yes"}}))
    imported = runner.invoke(import_tags_command, [str(tags)])
    assert imported.exit_code == 0, imported.output
    assert "1 tags of 1 members" in imported.output
    with db.read() as session:
        assert session.get(ImportedProfileTag, ("u1", "vip")).source == "tags.ndjson"
