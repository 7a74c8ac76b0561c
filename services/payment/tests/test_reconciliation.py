"""The daily reconciliation report (admin) and the models matching the migrations."""

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from provider_trades import intent, succeed
from sqlalchemy import update

from payment import ledger
from payment.definition import DEFINITION
from payment.domain import PayableFact, PaymentFact, RefundFact, reconcile
from payment.models import Payment
from payment.refunds import process_pending_refunds
from service_runtime import tables as runtime
from service_runtime.ids import utcnow


def test_the_report_sums_a_day_by_method_and_lists_mismatches(
        client, db, alice, admin, apply, due_order):
    ledger.credit_opening_balance(db, "alice", 100000, "opening")
    due_order("ord_a", amount=10000)
    due_order("ord_b", amount=20000)
    due_order("ord_c", amount=5000)
    client.post("/api/v1/payments", json={"order_id": "ord_a", "method": "balance"},
                headers=alice)
    first, second = intent(client, alice, "alipay", "ord_b"), intent(client, alice, "card", "ord_b")
    succeed(client, db, first)
    succeed(client, db, second)  # a duplicate: refunded by the worker
    process_pending_refunds(db)
    tampered = succeed(client, db, intent(client, alice, "wechat", "ord_c"))
    with db.transaction() as session:  # a row someone changed by hand
        session.execute(update(Payment).where(Payment.id == tampered["id"])
                        .values(amount=4000))

    today = utcnow().date().isoformat()
    report = client.get(f"/api/v1/admin/reconciliation?date={today}", headers=admin)
    assert report.status_code == 200, report.json
    body = report.json
    assert body["by_method"]["balance"] == {"payments": 1, "payments_amount": 10000,
                                            "refunds": 0, "refunds_amount": 0}
    assert body["by_method"]["alipay"]["payments_amount"] == 20000
    assert body["by_method"]["card"] == {"payments": 1, "payments_amount": 20000,
                                         "refunds": 1, "refunds_amount": 20000}
    assert body["orders_paid"] == {"count": 3, "amount": 35000}
    assert body["payments_received"] == {"count": 4, "amount": 10000 + 40000 + 4000}
    assert [(m["kind"], m["order_id"]) for m in body["mismatches"]] == [
        ("amount-differs", "ord_c")], "the refunded duplicate is not a mismatch"

    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    empty = client.get(f"/api/v1/admin/reconciliation?date={yesterday}", headers=admin).json
    assert (empty["by_method"], empty["mismatches"]) == ({}, [])


def test_the_report_is_for_admins_and_needs_a_date(client, alice, admin):
    assert client.get("/api/v1/admin/reconciliation?date=2026-11-23",
                      headers=alice).status_code == 403
    assert client.get("/api/v1/admin/reconciliation", headers=admin).status_code == 422
    assert client.get("/api/v1/admin/reconciliation?date=yesterday",
                      headers=admin).status_code == 422


def test_reconcile_finds_every_kind_of_mismatch():
    payables = [PayableFact("o1", 100, "paid", "p1", True),
                PayableFact("o2", 100, "paid", "p2", True),
                PayableFact("o3", 100, "void", None, False),
                PayableFact("o4", 100, "paid", "p6", True)]
    payments = [PaymentFact("p1", "o1", "alipay", 90, True),  # amount differs
                PaymentFact("p2", "o2", "card", 100, True),
                PaymentFact("p3", "o2", "wechat", 100, True),  # paid twice, not refunded
                PaymentFact("p4", "o3", "alipay", 100, True),  # payable not paid
                PaymentFact("p6", "o4", "balance", 100, True)]
    refunds = [RefundFact("r1", "o4", "p6", "balance", 80, "return:a", True, True),
               RefundFact("r2", "o4", "p6", "balance", 80, "return:b", True, True)]  # over
    report = reconcile(payments, refunds, payables)
    assert sorted((m["kind"], m["order_id"]) for m in report.mismatches) == [
        ("amount-differs", "o1"), ("over-refunded", "o4"), ("paid-twice", "o2"),
        ("payable-not-paid", "o3")]
    assert report.by_method["balance"]["refunds_amount"] == 160
    assert report.payments_received == {"count": 5, "amount": 490}


def test_the_models_match_the_migrations(db):
    runtime_tables = (*runtime.metadata.tables, "alembic_version")

    def ours(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table not in runtime_tables

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": ours})
        assert compare_metadata(context, DEFINITION.metadata) == []
