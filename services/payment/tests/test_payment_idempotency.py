"""An Idempotency-Key on payments, top-ups and withdrawals is bound to its first request:
the same request replays the first result, another one is a 422 and changes nothing."""

import pytest
from sqlalchemy import func, select

from payment import ledger
from payment.ledger_models import JournalEntry, Withdrawal
from payment.models import Payable, Payment
from service_runtime.testing.plugin import outbox_events

PAYMENTS, TOP_UPS, WITHDRAWALS = ("/api/v1/payments", "/api/v1/wallet/top-ups",
                                  "/api/v1/wallet/withdrawals")
BANK = "6222020200112233445"


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def post(client, headers, path: str, body: dict, key: str = "key-1"):  # type: ignore[no-untyped-def]
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def reused(response) -> None:
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:idempotency-key-reused"
    assert response.json["status"] == 422


def test_a_payment_replays_for_the_same_request_and_refuses_another_method(
        client, db, alice, due_order):
    due_order("ord_1", amount=14900)
    first = post(client, alice, PAYMENTS, {"order_id": "ord_1", "method": "alipay"})
    assert first.status_code == 201, first.json
    # The same request written differently (key order) is the same request.
    again = client.post(PAYMENTS, data='{"method": "alipay", "order_id": "ord_1"}',
                        headers={**alice, "Idempotency-Key": "key-1",
                                 "Content-Type": "application/json"})
    assert again.status_code == 200 and again.json == first.json

    reused(post(client, alice, PAYMENTS, {"order_id": "ord_1", "method": "card"}))
    assert count(db, Payment) == 1
    with db.read() as session:
        assert session.get(Payment, first.json["id"]).method == "alipay"


def test_a_balance_payment_with_a_reused_key_debits_nothing(client, db, alice, due_order):
    ledger.credit_opening_balance(db, "alice", 50000, "opening")
    due_order("ord_1", amount=100)
    due_order("ord_2", amount=200)
    assert post(client, alice, PAYMENTS, {"order_id": "ord_1", "method": "balance"}
                ).status_code == 201
    entries = count(db, JournalEntry)
    reused(post(client, alice, PAYMENTS, {"order_id": "ord_2", "method": "balance"}))
    with db.read() as session:
        assert ledger.wallet_balance(session, "alice") == 50000 - 100
        assert session.get(Payable, "ord_2").status == "due"
    assert count(db, JournalEntry) == entries
    assert len(outbox_events(db, "PaymentConfirmed")) == 1


def test_a_top_up_replays_for_the_same_package_and_refuses_another(client, db, alice):
    first = post(client, alice, TOP_UPS, {"package_id": "cny100", "method": "alipay"})
    assert first.status_code == 201, first.json
    again = post(client, alice, TOP_UPS, {"package_id": "cny100", "method": "alipay"})
    assert again.status_code == 200 and again.json == first.json

    reused(post(client, alice, TOP_UPS, {"package_id": "cny500", "method": "alipay"}))
    reused(post(client, alice, TOP_UPS, {"amount": 10000, "method": "alipay"}))
    assert count(db, Payment) == 1


def test_a_key_used_for_a_payment_is_refused_for_a_top_up(client, db, alice, due_order):
    """Payments and top-ups share a table and its key constraint: only the path differs."""
    due_order("ord_1")
    assert post(client, alice, PAYMENTS, {"order_id": "ord_1", "method": "alipay"}
                ).status_code == 201
    reused(post(client, alice, TOP_UPS, {"package_id": "cny100", "method": "alipay"}))
    assert count(db, Payment) == 1


def test_a_withdrawal_replays_for_the_same_amount_and_refuses_another(client, db, alice):
    ledger.credit_opening_balance(db, "alice", 50000, "opening")
    first = post(client, alice, WITHDRAWALS, {"amount": 10000, "bank_account": BANK})
    assert first.status_code == 201, first.json
    again = post(client, alice, WITHDRAWALS, {"amount": 10000, "bank_account": BANK})
    assert again.status_code == 200 and again.json == first.json
    entries = count(db, JournalEntry)

    reused(post(client, alice, WITHDRAWALS, {"amount": 50000, "bank_account": BANK}))
    assert count(db, Withdrawal) == 1 and count(db, JournalEntry) == entries
    with db.read() as session:
        assert ledger.wallet_balance(session, "alice") == 40000


def test_the_same_key_stays_each_users_own(client, db, alice, bob):
    assert post(client, alice, TOP_UPS, {"package_id": "cny100", "method": "alipay"}
                ).status_code == 201
    assert post(client, bob, TOP_UPS, {"package_id": "cny500", "method": "alipay"}
                ).status_code == 201


@pytest.mark.parametrize("path", [PAYMENTS, TOP_UPS, WITHDRAWALS])
def test_the_openapi_document_names_the_key_and_its_422(client, path):
    operation = client.get("/openapi.json").json["paths"][path]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]
                                 if p["in"] == "header"]
    assert "idempotency-key-reused" in operation["responses"]["422"]["description"]
    assert "application/problem+json" in operation["responses"]["422"]["content"]
