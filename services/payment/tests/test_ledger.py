"""The double-entry ledger on a real database (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""

import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from payment import ledger
from payment.definition import DEFINITION
from payment.ledger import InsufficientBalance, Leg, UnbalancedEntry
from payment.ledger_models import JournalEntry, LedgerAccount, Posting, Withdrawal
from payment.wallet_view import wallet_view
from service_runtime.db import Database
from service_runtime.idempotency import IdempotencyKey
from service_runtime.migrate import alembic_config, upgrade

LEDGER_TABLES = {"ledger_accounts", "journal_entries", "ledger_postings", "withdrawals"}


def balances(db) -> dict[str, int]:
    with db.read() as session:
        return ledger.trial_balance(session)


def entry_count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(JournalEntry))


def unbalanced_entries(db) -> list:
    with db.read() as session:
        return list(session.execute(
            select(Posting.entry_id).group_by(Posting.entry_id)
            .having(func.sum(Posting.amount) != 0)))


# --- entries always balance -------------------------------------------------------------

@pytest.mark.parametrize("legs", [
    [Leg("wallet:alice", 100), Leg("merchant:sales", -99)],
    [Leg("wallet:alice", 100)],
    [Leg("wallet:alice", 0), Leg("merchant:sales", 0)],
    [Leg("wallet:alice", 100), Leg("wallet:alice", -100)],
])
def test_an_unbalanced_posting_set_is_refused_before_anything_is_written(db, legs):
    with pytest.raises(UnbalancedEntry), db.transaction() as session:
        ledger.post(session, "test", "ref-1", legs, "CNY")
    assert entry_count(db) == 0
    assert balances(db) == {code: 0 for code in balances(db)}  # only the seeded accounts
    assert "wallet:alice" not in balances(db)


def test_the_balances_sum_to_zero_after_a_mix_of_operations(db):
    ledger.credit_opening_balance(db, "alice", 20000, "opening-balance")
    with db.transaction() as session:
        price, credit = ledger.TOP_UP_PACKAGES["cny500"]
        ledger.top_up(session, "alice", "alipay", price, "CNY", "top_1", bonus=credit - price)
        ledger.pay_from_wallet(session, "alice", 30000, "CNY", "pay_1")
        ledger.receive_provider_payment(session, "wechat", 5000, "CNY", "pay_2")
        ledger.receive_provider_payment(session, "cod", 7000, "CNY", "pay_3")
        ledger.refund(session, "alice", 1000, "CNY", "ref_1", "balance")
        ledger.refund(session, "bob", 2000, "CNY", "ref_2", "wechat")
    ledger.request_withdrawal(db, "alice", 4000, "622202020011223344", None)

    accounts = balances(db)
    assert sum(accounts.values()) == 0
    assert accounts["wallet:alice"] == 20000 + 52000 - 30000 + 1000 - 4000
    assert accounts["merchant:sales"] == 30000 + 5000 + 7000 - 1000 - 2000
    assert accounts["provider:alipay"] == -50000
    assert accounts["marketing:bonus"] == -2000
    assert accounts["provider:wechat"] == -5000 + 2000
    assert accounts["cash:cod"] == -7000
    assert accounts["equity:opening"] == -20000
    assert accounts["payouts:pending"] == 4000
    assert unbalanced_entries(db) == []
    with db.read() as session:  # every account's balance is the sum of its postings
        sums = dict(session.execute(
            select(LedgerAccount.code, func.coalesce(func.sum(Posting.amount), 0))
            .outerjoin(Posting, Posting.account_id == LedgerAccount.id)
            .group_by(LedgerAccount.code)).all())
    assert sums == accounts


# --- idempotency ------------------------------------------------------------------------

def test_repeating_a_write_with_the_same_kind_and_reference_changes_nothing(db):
    ledger.credit_opening_balance(db, "alice", 10000, "opening-balance")
    for _ in range(2):
        with db.transaction() as session:
            ledger.pay_from_wallet(session, "alice", 3000, "CNY", "pay_1")
            ledger.top_up(session, "alice", "card", 1000, "CNY", "top_1")
            ledger.refund(session, "alice", 500, "CNY", "ref_1", "balance")
            ledger.receive_provider_payment(session, "alipay", 700, "CNY", "pay_2")
    assert balances(db)["wallet:alice"] == 10000 - 3000 + 1000 + 500
    assert balances(db)["merchant:sales"] == 3000 - 500 + 700
    assert entry_count(db) == 5


def test_an_opening_balance_is_minted_once_per_user_and_reference(db):
    assert ledger.credit_opening_balance(db, "alice", 50000, "opening-balance") == 50000
    assert ledger.credit_opening_balance(db, "alice", 50000, "opening-balance") == 50000
    assert ledger.credit_opening_balance(db, "bob", 100, "opening-balance") == 100
    assert ledger.credit_opening_balance(db, "alice", 5, "bonus-2026") == 50005
    assert balances(db)["equity:opening"] == -50105


@pytest.mark.parametrize("amount", [0, -1, ledger.MAX_AMOUNT + 1])
def test_an_opening_balance_must_be_a_sensible_positive_amount(db, amount):
    with pytest.raises(ledger.InvalidInput):
        ledger.credit_opening_balance(db, "alice", amount, "opening-balance")
    assert entry_count(db) == 0


def test_the_ledger_refuses_another_currency(db):
    with pytest.raises(ledger.CurrencyMismatch), db.transaction() as session:
        ledger.top_up(session, "alice", "card", 100, "USD", "top_1")
    assert entry_count(db) == 0
    assert "wallet:alice" not in balances(db)


# --- never negative ---------------------------------------------------------------------

def test_a_payment_the_wallet_cannot_cover_leaves_the_callers_session_clean(db):
    ledger.credit_opening_balance(db, "alice", 1000, "opening-balance")
    with db.transaction() as session:
        with pytest.raises(InsufficientBalance) as refused:
            ledger.pay_from_wallet(session, "alice", 1001, "CNY", "pay_1")
        # The caller carries on in the same transaction (e.g. to record a failed payment).
        ledger.receive_provider_payment(session, "alipay", 200, "CNY", "pay_2")
    assert refused.value.status == 409 and refused.value.slug == "insufficient-balance"
    assert balances(db)["wallet:alice"] == 1000
    assert balances(db)["merchant:sales"] == 200
    assert entry_count(db) == 2  # the opening and pay_2; nothing of pay_1
    with db.transaction() as session:  # the refused reference can still be paid later
        ledger.pay_from_wallet(session, "alice", 1000, "CNY", "pay_1")
    assert balances(db)["wallet:alice"] == 0


def test_a_wallet_that_never_existed_cannot_pay(db):
    with pytest.raises(InsufficientBalance), db.transaction() as session:
        ledger.pay_from_wallet(session, "carol", 1, "CNY", "pay_1")
    assert entry_count(db) == 0


def test_the_database_refuses_a_negative_wallet_whatever_code_runs(db):
    ledger.credit_opening_balance(db, "alice", 10, "opening-balance")
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(update(LedgerAccount).where(LedgerAccount.code == "wallet:alice")
                        .values(balance=-1))
    with db.transaction() as session:  # other accounts may go negative (money sources)
        session.execute(update(LedgerAccount).where(LedgerAccount.code == "merchant:sales")
                        .values(balance=-1))


def test_concurrent_spends_never_take_a_wallet_below_zero(db):
    ledger.credit_opening_balance(db, "alice", 100, "opening-balance")
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def spend(i: int) -> None:
        start.wait()
        try:
            with db.transaction() as session:
                ledger.pay_from_wallet(session, "alice", 10, "CNY", f"pay_{i}")
            outcome = "paid"
        except InsufficientBalance:
            outcome = "refused"
        except Exception as error:  # reported by the assertion below
            outcome = repr(error)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["paid"] * 10 + ["refused"] * 10
    accounts = balances(db)
    assert accounts["wallet:alice"] == 0
    assert accounts["merchant:sales"] == 100
    assert sum(accounts.values()) == 0
    with db.read() as session:
        afters = sorted(session.scalars(
            select(Posting.balance_after).join(LedgerAccount)
            .where(LedgerAccount.code == "wallet:alice", Posting.amount < 0)))
    assert afters == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]


def test_concurrent_withdrawals_with_one_idempotency_key_withdraw_once(db):
    ledger.credit_opening_balance(db, "alice", 1000, "opening-balance")
    start = threading.Barrier(5)
    results: list = []

    def withdraw() -> None:
        start.wait()
        results.append(ledger.request_withdrawal(db, "alice", 300, "622202020011223344",
                                                 IdempotencyKey("key-1", "one request")))

    threads = [threading.Thread(target=withdraw) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({withdrawal.id for withdrawal, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * 4 + [True]
    assert balances(db)["wallet:alice"] == 700


# --- migration --------------------------------------------------------------------------

def test_existing_wallets_become_ledger_accounts_with_an_opening_entry(new_database):
    url = new_database("payment")
    command.upgrade(alembic_config(DEFINITION, url), "payment_0001")
    db = Database(url)
    try:
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO wallets (user_id, balance, currency) VALUES "
                "('alice', 50000, 'CNY'), ('bob', 0, 'CNY'), ('carol', 1234, 'CNY')"))
        upgrade(DEFINITION, url)

        accounts = balances(db)
        assert accounts["wallet:alice"] == 50000
        assert accounts["wallet:bob"] == 0
        assert accounts["wallet:carol"] == 1234
        assert accounts["equity:opening"] == -51234
        assert sum(accounts.values()) == 0
        assert unbalanced_entries(db) == []
        view = wallet_view(db, "alice")
        assert (view.balance.amount, view.balance.currency) == (50000, "CNY")
        assert [(line.kind, line.amount, line.balance_after)
                for line in view.lines] == [("credit", 50000, 50000)]
        with db.transaction() as session:  # the migrated money is spendable
            ledger.pay_from_wallet(session, "carol", 1234, "CNY", "pay_1")
        assert balances(db)["wallet:carol"] == 0
    finally:
        db.dispose()


def test_the_ledger_models_match_the_migrations(db):
    def mine(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in LEDGER_TABLES

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": mine, "compare_type": True})
        assert compare_metadata(context, DEFINITION.metadata) == []
    assert {Withdrawal.__tablename__, Posting.__tablename__} <= LEDGER_TABLES
