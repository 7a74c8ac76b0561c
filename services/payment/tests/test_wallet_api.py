"""The wallet's HTTP API: the view with paging, top-up packages and withdrawals."""

import uuid

import pytest
from sqlalchemy import func, select

from payment import ledger
from payment.ledger_models import JournalEntry, Withdrawal
from service_runtime.errors import PROBLEM_JSON

BANK = "6222020200112233445"


def wallet(client, headers, **query) -> dict:
    response = client.get("/api/v1/wallet", headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def withdraw(client, headers, body, key: str | None = None):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/wallet/withdrawals", json=body,
                       headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})


def test_the_wallet_shows_the_balance_and_entries_newest_first(client, db, alice, bob):
    ledger.credit_opening_balance(db, "alice", 50000, "opening-balance")
    with db.transaction() as session:
        ledger.pay_from_wallet(session, "alice", 14900, "CNY", "pay_1")
        ledger.refund(session, "alice", 900, "CNY", "rf_1", "balance")
        ledger.top_up(session, "alice", "alipay", 10000, "CNY", "pi_1")
    view = wallet(client, alice)
    assert view["balance"] == {"amount": 50000 - 14900 + 900 + 10000, "currency": "CNY"}
    assert [(line["kind"], line["amount"], line["reference"], line["balance_after"])
            for line in view["ledger"]] == [
        ("top_up", 10000, "pi_1", 46000),
        ("refund", 900, "rf_1", 36000),
        ("payment", -14900, "pay_1", 35100),
        ("credit", 50000, "opening-balance", 50000),
    ]
    assert all(line["currency"] == "CNY" and line["created_at"] for line in view["ledger"])
    assert view["next_cursor"] is None
    assert wallet(client, bob) == {"balance": {"amount": 0, "currency": "CNY"}, "ledger": [],
                                   "next_cursor": None}


def test_the_wallet_pages_with_a_cursor(client, db, alice):
    ledger.credit_opening_balance(db, "alice", 1000, "opening-balance")
    for i in range(4):
        with db.transaction() as session:
            ledger.pay_from_wallet(session, "alice", 10 + i, "CNY", f"pay_{i}")
    everything = wallet(client, alice, limit=100)["ledger"]
    assert len(everything) == 5

    seen, cursor, pages = [], None, 0
    while True:
        page = wallet(client, alice, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += page["ledger"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == everything
    assert [line["reference"] for line in seen] == [
        "pay_3", "pay_2", "pay_1", "pay_0", "opening-balance"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": "x"},
                                   {"cursor": "abc"}, {"cursor": "-1"}])
def test_bad_wallet_queries_are_422_problems(client, alice, query):
    response = client.get("/api/v1/wallet", headers=alice, query_string=query)
    assert response.status_code == 422
    assert response.content_type == PROBLEM_JSON


def test_the_wallet_needs_a_signed_in_user(client):
    response = client.get("/api/v1/wallet")
    assert response.status_code == 401
    assert response.content_type == PROBLEM_JSON


def test_top_up_packages_are_public(client, alice):
    for headers in ({}, alice):
        response = client.get("/api/v1/wallet/top-up-packages", headers=headers)
        assert response.status_code == 200
        packages = {p["id"]: (p["price"]["amount"], p["credit"]["amount"])
                    for p in response.json}
        assert packages == ledger.TOP_UP_PACKAGES
        assert packages["cny500"] == (50000, 52000)


def test_a_withdrawal_moves_money_out_of_the_wallet_once_per_key(client, db, alice):
    ledger.credit_opening_balance(db, "alice", 10000, "opening-balance")
    first = withdraw(client, alice, {"amount": 3000, "bank_account": BANK}, key="wd-1")
    assert first.status_code == 201, first.json
    body = first.json
    assert body["amount"] == {"amount": 3000, "currency": "CNY"}
    assert body["bank_account"] == "*" * 15 + "3445"
    assert body["status"] == "pending"
    assert body["id"] and body["created_at"]

    retry = withdraw(client, alice, {"amount": 3000, "bank_account": BANK}, key="wd-1")
    assert retry.status_code == 200
    assert retry.json == body
    view = wallet(client, alice)
    assert view["balance"]["amount"] == 7000
    assert (view["ledger"][0]["kind"], view["ledger"][0]["amount"],
            view["ledger"][0]["balance_after"]) == ("withdrawal", -3000, 7000)
    with db.read() as session:
        assert ledger.trial_balance(session)["payouts:pending"] == 3000
    assert count(db, Withdrawal) == 1


def test_a_withdrawal_the_wallet_cannot_cover_is_a_409_that_changes_nothing(client, db, alice):
    ledger.credit_opening_balance(db, "alice", 1000, "opening-balance")
    response = withdraw(client, alice, {"amount": 1001, "bank_account": BANK})
    assert response.status_code == 409
    assert response.content_type == PROBLEM_JSON
    assert response.json["type"] == "urn:shop:problem:insufficient-balance"
    assert wallet(client, alice)["balance"]["amount"] == 1000
    assert count(db, Withdrawal) == 0
    assert count(db, JournalEntry) == 1
    exact = withdraw(client, alice, {"amount": 1000, "bank_account": BANK})
    assert exact.status_code == 201
    assert wallet(client, alice)["balance"]["amount"] == 0


@pytest.mark.parametrize("body", [
    {"amount": 0, "bank_account": BANK},
    {"amount": -100, "bank_account": BANK},
    {"amount": "100", "bank_account": BANK},
    {"amount": 100.5, "bank_account": BANK},
    {"amount": ledger.MAX_AMOUNT + 1, "bank_account": BANK},
    {"bank_account": BANK},
    {"amount": 100},
    {"amount": 100, "bank_account": "12345678901"},  # 11 digits
    {"amount": 100, "bank_account": "12345678901234567890"},  # 20 digits
    {"amount": 100, "bank_account": "6222 0202 0011 2233"},
    {"amount": 100, "bank_account": "62220202001122334a"},
    {"amount": 100, "bank_account": BANK + "\n"},
    {"amount": 100, "bank_account": 6222020200112233445},
    {"amount": 100, "bank_account": BANK, "currency": "CNY"},  # unknown field
])
def test_bad_withdrawals_are_422_problems_that_change_nothing(client, db, alice, body):
    ledger.credit_opening_balance(db, "alice", 10000, "opening-balance")
    response = withdraw(client, alice, body)
    assert response.status_code == 422, response.json
    assert response.content_type == PROBLEM_JSON
    assert wallet(client, alice)["balance"]["amount"] == 10000
    assert count(db, Withdrawal) == 0


def test_withdrawals_need_a_signed_in_user(client, db):
    response = client.post("/api/v1/wallet/withdrawals",
                           json={"amount": 100, "bank_account": BANK})
    assert response.status_code == 401
    assert count(db, Withdrawal) == 0
