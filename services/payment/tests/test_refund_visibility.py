"""Money that went back is visible: a payment shows its refunds and ``amount_refunded``
(alone and in lists), and every wallet line names the payment, refund or withdrawal it
belongs to."""

import uuid
from datetime import datetime

import pytest

from payment import ledger, sandbox
from payment.providers import Trade, adapter
from payment.refunds import process_pending_refunds
from service_runtime.ids import utcnow

CNY = "CNY"


def money(amount: int) -> dict:
    return {"amount": amount, "currency": CNY}


def pay(client, db, headers, method: str, order_id: str = "ord_1") -> dict:  # type: ignore[no-untyped-def]
    """Pay ``order_id`` from the wallet or through a provider whose signed success arrives."""
    response = client.post("/api/v1/payments", json={"order_id": order_id, "method": method},
                           headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.json
    payment = response.json
    if method != "balance":
        trade = Trade(payment["id"], f"T-{payment['id']}", True, payment["amount"]["amount"],
                      CNY, f"n-{payment['id']}")
        body, sent = adapter(method).build(trade, sandbox.signing_keys(db, method), utcnow())
        assert client.post(f"/api/v1/payments/callbacks/{method}", data=body,
                           headers=sent).status_code in (200, 204)
    return payment


def shown(client, headers, payment_id: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/payments/{payment_id}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def listed(client, headers, payment_id: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/payments", headers=headers)
    assert response.status_code == 200, response.json
    [found] = [p for p in response.json if p["id"] == payment_id]
    return found


def wallet_lines(client, headers) -> list[dict]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/wallet", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["ledger"]


def settle_provider_refunds(method: str, db) -> None:  # type: ignore[no-untyped-def]
    if method != "balance":
        process_pending_refunds(db)


@pytest.mark.parametrize("method", ["balance", "alipay"])
def test_an_approved_return_shows_on_the_payment_and_in_the_list(
        client, db, alice, apply, due_order, method):
    ledger.credit_opening_balance(db, "alice", 20000, "opening")
    due_order("ord_1", amount=10000)
    payment = pay(client, db, alice, method)
    assert shown(client, alice, payment["id"])["amount_refunded"] == money(0)
    apply("ReturnApproved", order_id="ord_1", return_id="ret_1", type="refund_only",
          refund=money(3000))
    if method != "balance":
        pending = shown(client, alice, payment["id"])
        [refund] = pending["refunds"]
        assert (refund["status"], refund["settled_at"]) == ("pending", None)
        assert pending["amount_refunded"] == money(0), "not counted before the money is back"
        settle_provider_refunds(method, db)

    view = shown(client, alice, payment["id"])
    assert view["status"] == "succeeded"
    assert view["amount_refunded"] == money(3000)
    [refund] = view["refunds"]
    assert refund["id"].startswith("rfd")
    assert refund["amount"] == money(3000)
    assert refund["reason"] == "return approved (refund only)"
    assert (refund["status"], refund["destination"]) == ("succeeded", "original")
    assert (refund["return_id"], refund["duplicate_payment"]) == ("ret_1", False)
    created, settled = (datetime.fromisoformat(refund[k]) for k in ("created_at", "settled_at"))
    assert created <= settled and settled.utcoffset() is not None
    assert listed(client, alice, payment["id"]) == view, "a list shows payments the same way"
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=alice).json == view


@pytest.mark.parametrize("method", ["balance", "card"])
def test_a_cancelled_paid_order_shows_its_full_refund(client, db, alice, apply, due_order,
                                                      method):
    ledger.credit_opening_balance(db, "alice", 20000, "opening")
    due_order("ord_1", amount=14900)
    payment = pay(client, db, alice, method)
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="buyer",
          reason="changed my mind")
    settle_provider_refunds(method, db)
    view = shown(client, alice, payment["id"])
    assert view["amount_refunded"] == money(14900)
    [refund] = view["refunds"]
    assert refund["reason"] == "order cancelled: changed my mind"
    assert (refund["amount"], refund["status"]) == (money(14900), "succeeded")
    assert (refund["return_id"], refund["duplicate_payment"]) == (None, False)


def test_a_refund_of_cash_on_delivery_shows_it_went_to_the_wallet(client, db, alice, apply,
                                                                  due_order):
    due_order("ord_1", amount=14900)
    payment = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "cod"},
                          headers=alice).json
    apply("Delivered", order_id="ord_1")
    apply("ReturnReceived", order_id="ord_1", return_id="ret_1", type="return_refund",
          refund=money(4900))
    [refund] = shown(client, alice, payment["id"])["refunds"]
    assert (refund["destination"], refund["status"]) == ("balance", "succeeded")


def test_the_second_of_two_successful_charges_shows_its_automatic_refund(
        client, db, alice, due_order):
    due_order("ord_1", amount=14900)
    first = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "alipay"},
                        headers=alice).json
    second = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "wechat"},
                         headers=alice).json
    for payment in (first, second):
        trade = Trade(payment["id"], f"T-{payment['id']}", True, 14900, CNY, payment["id"])
        body, sent = adapter(payment["method"]).build(
            trade, sandbox.signing_keys(db, payment["method"]), utcnow())
        client.post(f"/api/v1/payments/callbacks/{payment['method']}", data=body, headers=sent)
    process_pending_refunds(db)
    kept, duplicate = shown(client, alice, first["id"]), shown(client, alice, second["id"])
    assert (kept["amount_refunded"], kept["refunds"]) == (money(0), [])
    assert duplicate["status"] == "succeeded", "the money arrived, then went back"
    assert duplicate["amount_refunded"] == money(14900)
    [refund] = duplicate["refunds"]
    assert (refund["duplicate_payment"], refund["amount"]) == (True, money(14900))
    assert refund["status"] == "succeeded" and refund["settled_at"]


def test_a_late_success_for_a_cancelled_order_shows_its_refund(client, db, alice, apply,
                                                               due_order):
    due_order("ord_1", amount=14900)
    payment = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "card"},
                          headers=alice).json
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="payment_deadline")
    pay_signal = Trade(payment["id"], "T-late", True, 14900, CNY, "n-late")
    body, sent = adapter("card").build(pay_signal, sandbox.signing_keys(db, "card"), utcnow())
    assert client.post("/api/v1/payments/callbacks/card", data=body,
                       headers=sent).status_code == 200
    [refund] = shown(client, alice, payment["id"])["refunds"]
    assert (refund["duplicate_payment"], refund["status"]) == (True, "pending")
    process_pending_refunds(db)
    view = shown(client, alice, payment["id"])
    assert view["amount_refunded"] == money(14900)
    assert view["refunds"][0]["status"] == "succeeded"


def test_each_wallet_line_names_what_it_belongs_to(client, db, alice, apply, due_order):
    ledger.credit_opening_balance(db, "alice", 20000, "opening")
    due_order("ord_1", amount=10000)
    payment = pay(client, db, alice, "balance")
    apply("ReturnApproved", order_id="ord_1", return_id="ret_1", type="refund_only",
          refund=money(2500))
    [refund] = shown(client, alice, payment["id"])["refunds"]
    top_up = client.post("/api/v1/wallet/top-ups", json={"amount": 5000, "method": "alipay"},
                         headers=alice).json
    trade = Trade(top_up["id"], "T-top", True, 5000, CNY, "n-top")
    body, sent = adapter("alipay").build(trade, sandbox.signing_keys(db, "alipay"), utcnow())
    client.post("/api/v1/payments/callbacks/alipay", data=body, headers=sent)
    withdrawal = client.post("/api/v1/wallet/withdrawals", headers=alice,
                             json={"amount": 1000, "bank_account": "6222020200112233445"}).json

    def links(line: dict) -> tuple:
        return (line["kind"], line["amount"], line["payment_id"], line["refund_id"],
                line["withdrawal_id"], line["order_id"])

    assert [links(line) for line in wallet_lines(client, alice)] == [
        ("withdrawal", -1000, None, None, withdrawal["id"], None),
        ("top_up", 5000, top_up["id"], None, None, None),
        ("refund", 2500, payment["id"], refund["id"], None, "ord_1"),
        ("payment", -10000, payment["id"], None, None, "ord_1"),
        ("credit", 20000, None, None, None, None),
    ]
