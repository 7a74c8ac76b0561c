"""The day's finance file for the middle platform: its rows add up to the day's report."""

import csv
import io
from collections import defaultdict
from datetime import timedelta

import pyarrow.parquet as pq
from provider_trades import intent, succeed
from sqlalchemy import update

from payment import ledger
from payment.models import Payment
from payment.refunds import process_pending_refunds
from service_runtime.ids import utcnow


def totals(rows):  # type: ignore[no-untyped-def]
    """Per method, the report's four figures computed from the file's rows."""
    by_method = defaultdict(lambda: {"payments": 0, "payments_amount": 0,
                                     "refunds": 0, "refunds_amount": 0})
    for row in rows:
        kind = "payments" if row["record_type"] == "payment" else "refunds"
        by_method[row["method"]][kind] += 1
        by_method[row["method"]][f"{kind}_amount"] += int(row["amount"])
    return dict(by_method)


def a_day_of_business(client, db, alice, due_order):  # type: ignore[no-untyped-def]
    """Balance, Alipay, a duplicate card payment refunded by the worker, WeChat; and one
    Alipay payment moved to yesterday."""
    ledger.credit_opening_balance(db, "alice", 100000, "opening")
    for order_id, amount in (("ord_a", 10000), ("ord_b", 20000), ("ord_c", 5000),
                             ("ord_d", 700)):
        due_order(order_id, amount=amount)
    client.post("/api/v1/payments", json={"order_id": "ord_a", "method": "balance"},
                headers=alice)
    first, second = intent(client, alice, "alipay", "ord_b"), intent(client, alice, "card", "ord_b")
    succeed(client, db, first)
    succeed(client, db, second)  # a duplicate: refunded by the worker
    process_pending_refunds(db)
    succeed(client, db, intent(client, alice, "wechat", "ord_c"))
    earlier = succeed(client, db, intent(client, alice, "alipay", "ord_d"))
    with db.transaction() as session:
        session.execute(update(Payment).where(Payment.id == earlier["id"])
                        .values(succeeded_at=utcnow() - timedelta(days=1)))
    return earlier


def test_the_csv_file_adds_up_to_the_days_report(client, db, alice, admin, due_order):
    earlier = a_day_of_business(client, db, alice, due_order)
    today = utcnow().date().isoformat()

    answer = client.get(f"/api/v1/admin/reconciliation/{today}/file", headers=admin)
    assert answer.status_code == 200, answer.json
    assert answer.mimetype == "text/csv"
    assert f'filename="reconciliation-{today}.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert answer.headers["X-Record-Count"] == str(len(rows)) == "5"
    report = client.get(f"/api/v1/admin/reconciliation?date={today}", headers=admin).json
    assert totals(rows) == report["by_method"]
    assert totals(rows)["card"] == {"payments": 1, "payments_amount": 20000,
                                    "refunds": 1, "refunds_amount": 20000}
    refund = next(row for row in rows if row["record_type"] == "refund")
    assert refund["order_id"] == "ord_b" and refund["payment_id"] != refund["record_id"]
    assert earlier["id"] not in {row["record_id"] for row in rows}
    assert [row["occurred_at"] for row in rows] == sorted(row["occurred_at"] for row in rows)

    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    before = list(csv.DictReader(io.StringIO(client.get(
        f"/api/v1/admin/reconciliation/{yesterday}/file", headers=admin).get_data(as_text=True))))
    assert [(row["record_id"], row["amount"]) for row in before] == [(earlier["id"], "700")]
    assert totals(before) == client.get(f"/api/v1/admin/reconciliation?date={yesterday}",
                                        headers=admin).json["by_method"]


def test_the_parquet_file_holds_the_same_rows(client, db, alice, admin, due_order):
    a_day_of_business(client, db, alice, due_order)
    today = utcnow().date().isoformat()
    as_csv = list(csv.DictReader(io.StringIO(client.get(
        f"/api/v1/admin/reconciliation/{today}/file", headers=admin).get_data(as_text=True))))
    answer = client.get(f"/api/v1/admin/reconciliation/{today}/file?format=parquet",
                        headers=admin)
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(answer.get_data()))
    assert str(table.schema.field("amount").type) == "int64"
    rows = table.to_pylist()
    assert [(r["record_id"], r["record_type"], r["amount"]) for r in rows] == [
        (r["record_id"], r["record_type"], int(r["amount"])) for r in as_csv]
    assert totals(rows) == client.get(f"/api/v1/admin/reconciliation?date={today}",
                                      headers=admin).json["by_method"]


def test_the_file_is_for_admins_and_refuses_a_bad_day_or_format(client, alice, admin):
    assert client.get("/api/v1/admin/reconciliation/2026-11-23/file",
                      headers=alice).status_code == 403
    for bad in ("/api/v1/admin/reconciliation/yesterday/file",
                "/api/v1/admin/reconciliation/2026-02-30/file",
                "/api/v1/admin/reconciliation/2026-11-23/file?format=xlsx"):
        answer = client.get(bad, headers=admin)
        assert answer.status_code == 422, bad
        assert answer.mimetype == "application/problem+json"
    empty = client.get("/api/v1/admin/reconciliation/2020-01-01/file", headers=admin)
    assert empty.status_code == 200
    assert empty.get_data(as_text=True).splitlines() == [
        "record_type,record_id,order_id,payment_id,method,amount,currency,occurred_at,"
        "provider_reference"]
