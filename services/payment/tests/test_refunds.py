"""Refunds: cancellation of a paid order, approved returns, caps and repeated triggers."""

import threading

from sqlalchemy import func, select

from event_contracts import REGISTRY
from payment import ledger, sandbox
from payment.models import Payable, Refund
from payment.providers import Trade, adapter
from payment.refunds import process_pending_refunds
from service_runtime.ids import utcnow
from service_runtime.testing.plugin import outbox_events


def fund(db, user: str, amount: int) -> None:
    ledger.credit_opening_balance(db, user, amount, "opening")


def balance(db, user: str = "alice") -> int:
    with db.read() as session:
        return ledger.wallet_balance(session, user)


def refunds(db) -> list[Refund]:
    with db.read() as session:
        return list(session.scalars(select(Refund).order_by(Refund.created_at)))


def pay_with_balance(client, headers, order_id="ord_1") -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/payments", json={"order_id": order_id, "method": "balance"},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def pay_with_provider(client, db, headers, provider, order_id="ord_1") -> dict:  # type: ignore[no-untyped-def]
    payment = client.post("/api/v1/payments", json={"order_id": order_id, "method": provider},
                          headers=headers).json
    trade = Trade(payment["id"], "T1", True, payment["amount"]["amount"], "CNY", "n1")
    body, sent = adapter(provider).build(trade, sandbox.signing_keys(db, provider), utcnow())
    assert client.post(f"/api/v1/payments/callbacks/{provider}", data=body,
                       headers=sent).status_code in (200, 204)
    return payment


def test_cancelling_a_balance_paid_order_refunds_it_to_the_wallet_at_once(
        client, db, alice, apply, due_order):
    fund(db, "alice", 50000)
    due_order("ord_1", amount=14900)
    payment = pay_with_balance(client, alice)
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="buyer")
    apply("OrderCancelled", order_id="ord_1", user_id="alice")  # delivered twice (new id)
    assert balance(db) == 50000
    [issued] = outbox_events(db, "RefundIssued")
    REGISTRY.validate_outgoing("RefundIssued", 1, issued["data"])
    data = issued["data"]
    assert data["amount"] == {"amount": 14900, "currency": "CNY"}
    assert (data["method"], data["destination"]) == ("balance", "original")
    assert data["refunded_total"] == {"amount": 14900, "currency": "CNY"}
    assert data["fully_refunded"] is True
    assert data["return_id"] is None
    [refund] = refunds(db)
    assert (refund.payment_id, refund.status) == (payment["id"], "succeeded")


def test_returns_are_refunded_capped_at_what_was_paid(client, db, alice, apply, due_order):
    fund(db, "alice", 20000)
    due_order("ord_1", amount=10000)
    pay_with_balance(client, alice)
    apply("ReturnApproved", order_id="ord_1", return_id="ret_1", type="refund_only",
          refund={"amount": 3000, "currency": "CNY"})
    apply("ReturnApproved", order_id="ord_1", return_id="ret_1", type="refund_only",
          refund={"amount": 3000, "currency": "CNY"})  # the same trigger again
    apply("ReturnApproved", order_id="ord_1", return_id="ret_x", type="exchange",
          refund={"amount": 3000, "currency": "CNY"})  # not a refund
    apply("ReturnReceived", order_id="ord_1", return_id="ret_2", type="return_refund",
          refund={"amount": 9000, "currency": "CNY"})  # more than is left: capped
    apply("ReturnReceived", order_id="ord_1", return_id="ret_3", type="return_refund",
          refund={"amount": 100, "currency": "CNY"})  # nothing left
    assert [(r.amount, r.return_id) for r in refunds(db)] == [(3000, "ret_1"), (7000, "ret_2")]
    issued = [e["data"] for e in outbox_events(db, "RefundIssued")]
    assert [(d["refunded_total"]["amount"], d["fully_refunded"]) for d in issued] == [
        (3000, False), (10000, True)]
    assert balance(db) == 20000
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="refund")
    assert len(refunds(db)) == 2, "a fully refunded order has nothing left to refund"


def test_a_provider_refund_goes_back_through_the_provider_via_the_worker(
        client, db, alice, apply, due_order):
    due_order("ord_1", amount=14900)
    pay_with_provider(client, db, alice, "alipay")
    apply("ReturnApproved", order_id="ord_1", return_id="ret_1", type="refund_only",
          refund={"amount": 4900, "currency": "CNY"})
    [refund] = refunds(db)
    assert refund.status == "pending"
    assert outbox_events(db, "RefundIssued") == [], "not before the provider refunded"
    assert process_pending_refunds(db) == 1
    assert process_pending_refunds(db) == 0
    [issued] = outbox_events(db, "RefundIssued")
    assert (issued["data"]["method"], issued["data"]["destination"]) == ("alipay", "original")
    assert issued["data"]["return_id"] == "ret_1"
    [refund] = refunds(db)
    assert refund.status == "succeeded" and refund.provider_refund_no
    with db.read() as session:
        assert ledger.trial_balance(session)["provider:alipay"] == -14900 + 4900


def test_cash_on_delivery_refunds_go_to_the_wallet(client, db, alice, apply, due_order):
    due_order("ord_1", amount=14900)
    client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "cod"}, headers=alice)
    apply("Delivered", order_id="ord_1")
    apply("ReturnReceived", order_id="ord_1", return_id="ret_1", type="return_refund",
          refund={"amount": 14900, "currency": "CNY"})
    [issued] = outbox_events(db, "RefundIssued")
    assert (issued["data"]["method"], issued["data"]["destination"]) == ("cod", "balance")
    assert issued["data"]["fully_refunded"] is True
    assert balance(db) == 14900


def test_a_refund_for_an_order_never_paid_here_does_nothing(db, apply, due_order):
    due_order("ord_1")
    apply("ReturnApproved", order_id="ord_1", return_id="ret_1", type="refund_only",
          refund={"amount": 100, "currency": "CNY"})
    apply("ReturnApproved", order_id="ord_unknown", return_id="ret_2", type="refund_only",
          refund={"amount": 100, "currency": "CNY"})
    assert refunds(db) == []
    assert [e["type"] for e in outbox_events(db)] == ["PaymentDue"]


def test_concurrent_refund_triggers_never_refund_more_than_was_paid(
        app, client, db, alice, consumer, due_order, make_event):
    """8 returns of 3000 against 10000 paid, applied at once: at most 10000 goes back."""
    fund(db, "alice", 10000)
    due_order("ord_1", amount=10000)
    pay_with_balance(client, alice)
    barrier = threading.Barrier(8)
    errors = []

    def trigger(i: int) -> None:
        event = make_event("ReturnApproved", order_id="ord_1", return_id=f"ret_{i}",
                               type="refund_only", refund={"amount": 3000, "currency": "CNY"})
        barrier.wait()
        for _ in range(10):  # the consumer retries a handler that lost a race
            try:
                consumer.apply(event)
                return
            except Exception as exc:  # what a consumer retry absorbs
                errors.append(exc)

    threads = [threading.Thread(target=trigger, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.read() as session:
        refunded = session.scalar(select(func.sum(Refund.amount)))
        assert session.get(Payable, "ord_1").refunded == refunded
    assert refunded == 10000
    assert balance(db) == 10000
    assert outbox_events(db, "RefundIssued")[-1]["data"]["fully_refunded"] is True
