"""Paying with the wallet balance, on a real database."""

import threading
import uuid

from sqlalchemy import func, select

from event_contracts import REGISTRY
from payment.models import LedgerEntry, Payable, Payment
from payment.service import credit_wallet, record_payable
from service_runtime.testing.plugin import outbox_events


def owe(db, order_id: str, amount: int, user: str = "alice") -> None:
    with db.transaction() as session:
        record_payable(session, order_id, user, amount, "CNY")


def balance(client, headers) -> int:
    return client.get("/api/v1/wallet", headers=headers).json["balance"]["amount"]


def count(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_paying_with_balance_debits_the_wallet_and_emits_payment_confirmed(client, db, alice, bob):
    credit_wallet(db, "alice", 50000, "opening")
    owe(db, "ord_1", 14900)
    response = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "balance"},
                           headers=alice)
    assert response.status_code == 201, response.json
    payment = response.json
    assert payment["status"] == "succeeded"
    assert payment["amount"] == {"amount": 14900, "currency": "CNY"}
    assert balance(client, alice) == 50000 - 14900
    ledger = client.get("/api/v1/wallet", headers=alice).json["ledger"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in ledger] == [
        ("payment", -14900, 35100), ("credit", 50000, 50000)]
    [event] = outbox_events(db, "PaymentConfirmed")
    assert event["key"] == "ord_1"
    REGISTRY.validate_outgoing("PaymentConfirmed", 1, event["data"])
    assert event["data"]["payment_id"] == payment["id"]
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=alice).json == payment
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=bob).status_code == 404


def test_an_order_is_never_charged_twice(client, db, alice):
    credit_wallet(db, "alice", 50000, "opening")
    owe(db, "ord_1", 10000)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"order_id": "ord_1", "method": "balance"}
    first = client.post("/api/v1/payments", json=body, headers={**alice, **key})
    retry = client.post("/api/v1/payments", json=body, headers={**alice, **key})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json["id"] == first.json["id"]
    again = client.post("/api/v1/payments", json=body, headers=alice)
    assert again.status_code == 409
    assert again.json["type"] == "urn:shop:problem:already-paid"
    assert balance(client, alice) == 40000
    assert len(outbox_events(db, "PaymentConfirmed")) == 1


def test_insufficient_balance_is_refused_and_changes_nothing(client, db, alice):
    credit_wallet(db, "alice", 100, "opening")
    owe(db, "ord_1", 10000)
    response = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "balance"},
                           headers=alice)
    assert response.status_code == 409
    assert response.json["type"] == "urn:shop:problem:insufficient-balance"
    assert balance(client, alice) == 100
    assert count(db, Payment) == 0
    with db.transaction() as session:
        assert session.get(Payable, "ord_1").status == "due", "a failed payment can be retried"
    assert outbox_events(db) == []


def test_someone_elses_or_an_unknown_order_is_not_found(client, db, bob):
    credit_wallet(db, "bob", 50000, "opening")
    owe(db, "ord_alice", 100)
    for order_id in ("ord_alice", "ord_nope"):
        response = client.post("/api/v1/payments",
                               json={"order_id": order_id, "method": "balance"}, headers=bob)
        assert response.status_code == 404
    assert balance(client, bob) == 50000


def test_bad_methods_and_bodies_are_4xx(client, db, alice):
    owe(db, "ord_1", 100)
    later = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "alipay"},
                        headers=alice)
    assert later.status_code == 422
    assert later.json["type"] == "urn:shop:problem:payment-method-not-available"
    unknown = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "bitcoin"},
                          headers=alice)
    assert unknown.status_code == 422
    assert unknown.json["errors"][0]["field"] == "method"
    long_key = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "balance"},
                           headers={**alice, "Idempotency-Key": "k" * 201})
    assert long_key.status_code == 422


def test_order_placed_records_what_is_owed_once(db):
    owe(db, "ord_1", 100)
    owe(db, "ord_1", 100)
    assert count(db, Payable) == 1


def test_concurrent_spends_never_overdraw_the_wallet(app, db, alice):
    """12 orders of 3000 against a balance of 20000: exactly 6 can be paid."""
    credit_wallet(db, "alice", 20000, "opening")
    for i in range(12):
        owe(db, f"ord_{i}", 3000)
    barrier = threading.Barrier(12)
    statuses = []

    def pay(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/payments",
                               json={"order_id": f"ord_{i}", "method": "balance"}, headers=alice)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 6 + [409] * 6
    assert balance(app.test_client(), alice) == 2000
    with db.transaction() as session:
        total = session.scalar(select(func.sum(LedgerEntry.amount)))
    assert total == 2000, "the ledger adds up to the balance"


def test_concurrent_attempts_to_pay_one_order_charge_it_once(app, db, alice):
    credit_wallet(db, "alice", 100000, "opening")
    owe(db, "ord_1", 3000)
    barrier = threading.Barrier(8)
    statuses = []

    def pay() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/payments",
                                    json={"order_id": "ord_1", "method": "balance"},
                                    headers=alice).status_code)

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert balance(app.test_client(), alice) == 97000


def test_crediting_the_same_reference_twice_credits_once(client, db, alice):
    assert credit_wallet(db, "alice", 700, "opening") == 700
    assert credit_wallet(db, "alice", 700, "opening") == 700
    assert credit_wallet(db, "alice", 300, "gift") == 1000
    assert balance(client, alice) == 1000
