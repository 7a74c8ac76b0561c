"""Paying orders: payable states from events, balance and cash on delivery, on a real database."""

import itertools
import re
import threading
import uuid

import pytest
from sqlalchemy import func, select

from event_contracts import REGISTRY
from payment import ledger
from payment.handlers import handlers
from payment.models import Payable, Payment
from service_runtime.testing.plugin import outbox_events


def fund(db, user: str, amount: int) -> None:
    ledger.credit_opening_balance(db, user, amount, "opening")


def balance(db, user: str = "alice") -> int:
    with db.read() as session:
        return ledger.wallet_balance(session, user)


def payable(db, order_id: str = "ord_1") -> Payable:
    with db.read() as session:
        return session.get(Payable, order_id)


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def pay(client, headers, order_id="ord_1", method="balance", key=None):  # type: ignore[no-untyped-def]
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/payments", json={"order_id": order_id, "method": method},
                       headers={**headers, **extra})


def test_paying_with_balance_debits_the_wallet_and_emits_payment_confirmed(
        client, db, alice, bob, due_order):
    fund(db, "alice", 50000)
    due_order("ord_1", amount=14900)
    response = pay(client, alice)
    assert response.status_code == 201, response.json
    payment = response.json
    assert payment["status"] == "succeeded"
    assert payment["amount"] == {"amount": 14900, "currency": "CNY"}
    assert payment["next_action"] is None
    assert balance(db) == 50000 - 14900
    [event] = outbox_events(db, "PaymentConfirmed")
    assert event["key"] == "ord_1"
    REGISTRY.validate_outgoing("PaymentConfirmed", 1, event["data"])
    assert event["data"]["payment_id"] == payment["id"]
    assert event["data"]["method"] == "balance"
    assert (payable(db).status, payable(db).paid) == ("paid", 14900)
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=alice).json == payment
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=bob).status_code == 404
    listed = client.get("/api/v1/payments?order_id=ord_1", headers=alice).json
    assert [p["id"] for p in listed] == [payment["id"]]
    assert client.get("/api/v1/payments?order_id=ord_1", headers=bob).json == []


def test_an_order_is_never_charged_twice(client, db, alice, due_order):
    fund(db, "alice", 50000)
    due_order("ord_1", amount=10000)
    key = uuid.uuid4().hex
    first, retry = pay(client, alice, key=key), pay(client, alice, key=key)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json["id"] == first.json["id"]
    again = pay(client, alice)
    assert again.status_code == 409
    assert again.json["type"] == "urn:shop:problem:already-paid"
    assert pay(client, alice, method="alipay").json["type"] == "urn:shop:problem:already-paid"
    assert balance(db) == 40000
    assert len(outbox_events(db, "PaymentConfirmed")) == 1


def test_the_amount_is_the_orders_total_whatever_the_client_sends(client, db, alice, due_order):
    fund(db, "alice", 50000)
    due_order("ord_1", amount=14900)
    response = client.post("/api/v1/payments", headers=alice,
                           json={"order_id": "ord_1", "method": "balance", "amount": 1})
    assert response.status_code == 422, "unknown fields are refused"
    assert balance(db) == 50000


def test_an_order_is_payable_only_once_its_stock_is_reserved(client, db, alice, apply):
    fund(db, "alice", 50000)
    apply("OrderPlaced", order_id="ord_1", user_id="alice")
    early = pay(client, alice)
    assert early.status_code == 409
    assert early.json["type"] == "urn:shop:problem:order-not-payable-yet"
    assert early.headers["Retry-After"] == "1", "the client is told to try again shortly"
    apply("StockReserved", order_id="ord_1")
    assert pay(client, alice).status_code == 201


def payment_due_events(db, order_id: str = "ord_1") -> list[dict]:
    return [e for e in outbox_events(db, "PaymentDue") if e["data"]["order_id"] == order_id]


def test_payment_due_is_announced_once_when_the_payable_becomes_due(client, db, alice, apply):
    fund(db, "alice", 50000)
    apply("OrderPlaced", order_id="ord_1", user_id="alice",
          total={"amount": 14900, "currency": "CNY"})
    assert payment_due_events(db) == [], "not payable before the stock is reserved"
    apply("StockReserved", order_id="ord_1")
    apply("StockReserved", order_id="ord_1")  # redelivered with a new id
    apply("OrderPlaced", order_id="ord_1", user_id="alice")
    [event] = payment_due_events(db)
    REGISTRY.validate_outgoing("PaymentDue", 1, event["data"])
    assert (event["source"], event["key"]) == ("payment", "ord_1")
    assert event["data"]["user_id"] == "alice"
    assert event["data"]["amount"] == {"amount": 14900, "currency": "CNY"}
    assert pay(client, alice).status_code == 201, "what PaymentDue announces can be paid"
    apply("StockReserved", order_id="ord_1")  # late: a paid payable is not due again
    assert len(payment_due_events(db)) == 1


ARRIVALS = ["OrderPlaced", "StockReserved", "OrderCancelled"]


@pytest.mark.parametrize("arrivals", [
    *itertools.permutations(ARRIVALS), *itertools.permutations(ARRIVALS[:2])],
    ids="-".join)
def test_payment_due_follows_placed_and_reserved_in_any_order_unless_cancelled_first(
        client, db, alice, apply, arrivals):
    """Topics are independent: any arrival order, each twice; PaymentDue exactly when the
    payable became due, which it does only if the cancellation did not come first."""
    for event_type in arrivals:
        for _ in range(2):
            apply(event_type, order_id="ord_1", user_id="alice")
    cancelled = "OrderCancelled" in arrivals
    due_before_cancel = not cancelled or arrivals.index("OrderCancelled") == 2
    assert len(payment_due_events(db)) == (1 if due_before_cancel else 0)
    assert payable(db).status == ("void" if cancelled else "due")


def test_events_arriving_out_of_order_still_make_the_order_payable(client, db, alice, apply):
    fund(db, "alice", 50000)
    apply("StockReserved", order_id="ord_1")  # before OrderPlaced reached us
    apply("OrderPlaced", order_id="ord_1", user_id="alice")
    assert payable(db).status == "due"
    apply("OrderCancelled", order_id="ord_2", user_id="alice")  # cancelled before placed
    apply("OrderPlaced", order_id="ord_2", user_id="alice")
    assert payable(db, "ord_2").status == "void"
    assert pay(client, alice, "ord_2").json["type"] == "urn:shop:problem:order-cancelled"
    assert pay(client, alice).status_code == 201


def test_a_cancelled_unpaid_order_is_void(client, db, alice, apply, due_order):
    fund(db, "alice", 50000)
    due_order("ord_1")
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="payment_deadline")
    response = pay(client, alice)
    assert response.status_code == 409
    assert response.json["type"] == "urn:shop:problem:order-cancelled"
    assert outbox_events(db, "RefundIssued") == []


def test_insufficient_balance_is_refused_and_changes_nothing(client, db, alice, due_order):
    fund(db, "alice", 100)
    due_order("ord_1", amount=10000)
    response = pay(client, alice)
    assert response.status_code == 409
    assert response.json["type"] == "urn:shop:problem:insufficient-balance"
    assert balance(db) == 100
    assert count(db, Payment) == 0
    assert payable(db).status == "due", "a failed payment can be retried"
    assert [e["type"] for e in outbox_events(db)] == ["PaymentDue"]


def test_someone_elses_or_an_unknown_order_is_not_found(client, db, bob, due_order):
    fund(db, "bob", 50000)
    due_order("ord_alice", user="alice", amount=100)
    for order_id in ("ord_alice", "ord_nope"):
        assert pay(client, bob, order_id).status_code == 404
        assert pay(client, bob, order_id, method="alipay").status_code == 404
    assert balance(db, "bob") == 50000


@pytest.mark.parametrize("body", [
    {"order_id": "ord_1", "method": "bitcoin"},
    {"order_id": "", "method": "balance"},
    {"order_id": "o" * 41, "method": "balance"},
    {"method": "balance"},
])
def test_bad_bodies_are_422(client, db, alice, due_order, body):
    due_order("ord_1")
    response = client.post("/api/v1/payments", json=body, headers=alice)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_a_too_long_idempotency_key_is_422(client, alice, due_order):
    due_order("ord_1")
    assert pay(client, alice, key="k" * 201).status_code == 422


def test_paying_needs_a_signed_in_user(client, due_order):
    due_order("ord_1")
    assert client.post("/api/v1/payments",
                       json={"order_id": "ord_1", "method": "balance"}).status_code == 401


def test_a_provider_payment_is_pending_with_a_redirect_to_the_cashier(
        client, db, alice, due_order, reconfigure):
    reconfigure(public_url="https://shop.example")
    due_order("ord_1", amount=14900)
    first = pay(client, alice, method="alipay")
    second = pay(client, alice, method="wechat")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json["status"] == "pending"
    assert first.json["amount"] == {"amount": 14900, "currency": "CNY"}
    assert first.json["next_action"]["type"] == "redirect"
    assert re.fullmatch(
        rf"https://shop\.example/api/v1/payments/sandbox/alipay/{first.json['id']}"
        r"\?token=[0-9]+\.[0-9a-f]{64}", first.json["next_action"]["url"])
    assert (first.json["amount_refunded"], first.json["refunds"]) == (
        {"amount": 0, "currency": "CNY"}, [])
    assert payable(db).status == "due", "pending intents do not take the order"
    assert [e["type"] for e in outbox_events(db)] == ["PaymentDue"]


def test_cash_on_delivery_is_confirmed_when_delivered(client, db, alice, apply, due_order):
    due_order("ord_1", amount=14900)
    response = pay(client, alice, method="cod")
    assert response.status_code == 201
    assert response.json["status"] == "awaiting_delivery"
    [chosen] = outbox_events(db, "CashOnDeliveryChosen")
    REGISTRY.validate_outgoing("CashOnDeliveryChosen", 1, chosen["data"])
    assert chosen["data"]["payment_id"] == response.json["id"]
    assert pay(client, alice, method="balance").json["type"] == \
        "urn:shop:problem:cash-on-delivery-chosen"

    # A replacement's delivery is not the sale: its ReplacementDelivered never reaches payment.
    assert "ReplacementDelivered" not in handlers.event_types
    assert outbox_events(db, "PaymentConfirmed") == []
    apply("Delivered", order_id="ord_1")
    apply("Delivered", order_id="ord_1")  # a second delivery event changes nothing
    [confirmed] = outbox_events(db, "PaymentConfirmed")
    assert confirmed["data"]["method"] == "cod"
    assert confirmed["data"]["amount"] == {"amount": 14900, "currency": "CNY"}
    assert (payable(db).status, payable(db).paid) == ("paid", 14900)
    with db.read() as session:
        assert ledger.trial_balance(session)["cash:cod"] == -14900
    assert client.get(f"/api/v1/payments/{response.json['id']}",
                      headers=alice).json["status"] == "succeeded"


def test_cancelling_a_cash_on_delivery_order_voids_it(client, db, alice, apply, due_order):
    due_order("ord_1")
    payment = pay(client, alice, method="cod").json
    apply("OrderCancelled", order_id="ord_1", user_id="alice")
    apply("Delivered", order_id="ord_1")
    assert payable(db).status == "void"
    assert client.get(f"/api/v1/payments/{payment['id']}",
                      headers=alice).json["status"] == "cancelled"
    assert outbox_events(db, "PaymentConfirmed") == []
    assert outbox_events(db, "RefundIssued") == []


def test_concurrent_spends_never_overdraw_the_wallet(app, db, alice, due_order):
    """12 orders of 3000 against a balance of 20000: exactly 6 can be paid."""
    fund(db, "alice", 20000)
    for i in range(12):
        due_order(f"ord_{i}", amount=3000)
    barrier = threading.Barrier(12)
    statuses = []

    def attempt(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(pay(client, alice, f"ord_{i}").status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 6 + [409] * 6
    assert balance(db) == 2000
    assert len(outbox_events(db, "PaymentConfirmed")) == 6


def test_concurrent_attempts_to_pay_one_order_charge_it_once(app, db, alice, due_order):
    fund(db, "alice", 100000)
    due_order("ord_1", amount=3000)
    barrier = threading.Barrier(8)
    statuses = []

    def attempt() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(pay(client, alice).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert balance(db) == 97000
    assert len(outbox_events(db, "PaymentConfirmed")) == 1
    assert count(db, Payment) == 1


def test_order_placed_records_what_is_owed_once(db, apply):
    event_id = str(uuid.uuid4())
    apply("OrderPlaced", event_id, order_id="ord_1", user_id="alice")
    apply("OrderPlaced", order_id="ord_1", user_id="alice")  # another id, same order
    assert count(db, Payable) == 1


def test_ops_endpoints_and_the_openapi_document(client):
    from service_runtime.testing.checks import assert_ops_endpoints

    assert_ops_endpoints(client)
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/payments", "/api/v1/payments/{payment_id}",
                 "/api/v1/payments/callbacks/{provider}", "/api/v1/wallet/top-ups",
                 "/api/v1/admin/reconciliation", "/api/v1/wallet"):
        assert path in paths, path
