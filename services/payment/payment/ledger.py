"""The wallet as a double-entry ledger: every yuan that moves is one balanced entry.

Each write is a :class:`~payment.ledger_models.JournalEntry` whose postings sum to zero,
identified by ``(kind, reference)`` so that repeating a write (an event redelivered, a
request retried) changes nothing. Account balances move only through conditional
``UPDATE ... SET balance = balance + :delta WHERE balance + :delta >= 0`` statements whose
matched row is checked, so two concurrent spends can never take a wallet below zero (the
database row lock serialises them on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), and a
CHECK constraint refuses a negative wallet whatever code runs.

The functions that take a ``session`` join the caller's transaction and never commit;
the ones that take a ``db`` are use cases with their own transaction.
See :mod:`payment.ledger_models` for the sign convention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from event_contracts.vocabulary import PaymentMethod
from payment.domain import Provider
from payment.ledger_models import (
    WALLET_PREFIX,
    EntryKind,
    JournalEntry,
    LedgerAccount,
    Posting,
    Withdrawal,
    WithdrawalStatus,
)
from service_runtime.db import Database, insert_if_absent
from service_runtime.errors import Conflict, InvalidInput
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now

CURRENCY = "CNY"
MAX_AMOUNT = 100_000_000  # 1,000,000 yuan: far above any order, far below 2**31
MAX_OPENING_REFERENCE = 75  # stored as "<user_id>:<reference>" in a 140-character column

# package_id -> (price charged by the provider, credit to the wallet), both in fen.
# The difference is a bonus the shop pays from ``marketing:bonus``.
TOP_UP_PACKAGES: dict[str, tuple[int, int]] = {
    "cny100": (10000, 10000),
    "cny500": (50000, 52000),
    "cny1000": (100000, 106000),
}

MERCHANT_SALES = "merchant:sales"
EQUITY_OPENING = "equity:opening"
PAYOUTS_PENDING = "payouts:pending"
MARKETING_BONUS = "marketing:bonus"
ACCOUNT_KINDS = {  # prefix of a code -> its kind
    "wallet": "liability", "provider": "asset", "cash": "asset", "merchant": "revenue",
    "equity": "equity", "payouts": "liability", "marketing": "expense",
}
# Journal entry kind -> the ``kind`` the wallet view shows (clients know these names).
WALLET_VIEW_KINDS = {EntryKind.OPENING: "credit", EntryKind.PAYMENT: "payment",
                     EntryKind.TOP_UP: "top_up", EntryKind.REFUND: "refund",
                     EntryKind.WITHDRAWAL: "withdrawal"}
BANK_ACCOUNT = re.compile(r"[0-9]{12,19}")


class InsufficientBalance(Conflict):
    slug, title = "insufficient-balance", "The wallet balance does not cover this payment"


class CurrencyMismatch(Conflict):
    slug, title = "currency-mismatch", "The account holds another currency"


class InvalidBankAccount(InvalidInput):
    slug, title = "invalid-bank-account", "The bank account must be 12 to 19 digits"


class UnbalancedEntry(ValueError):
    """A programming error: postings that do not sum to zero are never written."""


@dataclass(frozen=True)
class Leg:
    """One intended posting: ``amount`` added to the account ``code`` (negative = debit)."""

    code: str
    amount: int


# ---------------------------------------------------------------------------------------
# Accounts and the one way to write an entry


def wallet_account(user_id: str) -> str:
    return f"{WALLET_PREFIX}{user_id}"


def is_wallet(code: str) -> bool:
    return code.startswith(WALLET_PREFIX)


def method_account(method: str) -> str:
    """The account money arrives through for a payment method (cash on delivery is cash)."""
    if method == PaymentMethod.CASH_ON_DELIVERY:
        return "cash:cod"
    if method in tuple(Provider):
        return f"provider:{method}"
    raise InvalidInput(f"no ledger account for payment method {method!r}")


def check_amount(amount: int) -> None:
    """Money moves in positive whole fen, never zero, never absurdly large."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidInput(f"an amount must be a whole number of fen from 1 to {MAX_AMOUNT}")


def check_balanced(legs: Sequence[Leg]) -> None:
    """Refuse postings that would create or destroy money (checked before any insert)."""
    if len(legs) < 2:
        raise UnbalancedEntry("an entry needs at least two postings")
    if any(leg.amount == 0 for leg in legs):
        raise UnbalancedEntry("a posting of zero is meaningless")
    if len({leg.code for leg in legs}) != len(legs):
        raise UnbalancedEntry("an entry posts to each account once")
    total = sum(leg.amount for leg in legs)
    if total != 0:
        raise UnbalancedEntry(f"postings sum to {total}, not 0")


def _account_id(session: Session, code: str, currency: str) -> int:
    """The id of account ``code``, created (race-free) with a zero balance if new."""
    query = select(LedgerAccount.id, LedgerAccount.currency).where(LedgerAccount.code == code)
    found = session.execute(query).first()
    if found is None:
        insert_if_absent(session, LedgerAccount, code=code, currency=currency, balance=0,
                         kind=ACCOUNT_KINDS.get(code.split(":", 1)[0], "asset"))
        found = session.execute(query).one()
    account_id, held = found
    if held != currency:
        raise CurrencyMismatch(f"{code} holds {held}, not {currency}")
    return account_id


def _entry_exists(session: Session, kind: str, reference: str) -> bool:
    return session.scalar(select(JournalEntry.id).where(
        JournalEntry.kind == kind, JournalEntry.reference == reference)) is not None


def post(session: Session, kind: str, reference: str, legs: Sequence[Leg], currency: str,
         user_id: str | None = None, memo: str | None = None) -> bool:
    """Write one balanced entry in the caller's transaction; False if it already exists.

    Runs in a SAVEPOINT: if a wallet would go negative the savepoint is rolled back and
    :class:`InsufficientBalance` raised, so a caller that catches it (to record a failed
    payment) keeps a session with nothing half-written. Accounts are updated in one
    global order, wallets first, so concurrent entries lock rows in the same order (no
    deadlocks) and a refused spend never waits on the busy shop accounts.
    """
    check_balanced(legs)
    if currency != CURRENCY:  # one currency: an account never mixes two
        raise CurrencyMismatch(f"the ledger keeps {CURRENCY}, not {currency}")
    if _entry_exists(session, kind, reference):
        return False
    try:
        with session.begin_nested():
            entry = JournalEntry(kind=kind, reference=reference, user_id=user_id, memo=memo,
                                 created_at=now())
            session.add(entry)
            session.flush()  # a concurrent twin fails here on UNIQUE(kind, reference)
            for leg in sorted(legs, key=lambda leg: (not is_wallet(leg.code), leg.code)):
                account_id = _account_id(session, leg.code, currency)
                change = (update(LedgerAccount).where(LedgerAccount.id == account_id)
                          .values(balance=LedgerAccount.balance + leg.amount)
                          .returning(LedgerAccount.balance)
                          .execution_options(synchronize_session=False))
                if is_wallet(leg.code):
                    change = change.where(LedgerAccount.balance + leg.amount >= 0)
                balance_after = session.execute(change).scalar_one_or_none()
                if balance_after is None:  # the conditional UPDATE matched no row
                    raise InsufficientBalance(
                        f"the wallet holds less than {-leg.amount} fen")
                session.add(Posting(entry_id=entry.id, account_id=account_id,
                                    amount=leg.amount, currency=currency,
                                    balance_after=balance_after))
            session.flush()
    except IntegrityError:
        if _entry_exists(session, kind, reference):  # the twin committed first
            return False
        raise
    return True


# ---------------------------------------------------------------------------------------
# What the payment flows call (in their own transaction, with their session)


def pay_from_wallet(session: Session, user_id: str, amount: int, currency: str,
                    reference: str) -> None:
    """Pay ``amount`` from the user's wallet to the shop, or raise InsufficientBalance."""
    check_amount(amount)
    post(session, EntryKind.PAYMENT, reference,
         [Leg(wallet_account(user_id), -amount), Leg(MERCHANT_SALES, amount)],
         currency, user_id=user_id)


def receive_provider_payment(session: Session, method: str, amount: int, currency: str,
                             reference: str) -> None:
    """Record money a provider (or the courier, for ``cod``) collected for the shop."""
    check_amount(amount)
    post(session, EntryKind.PROVIDER_PAYMENT, reference,
         [Leg(method_account(method), -amount), Leg(MERCHANT_SALES, amount)], currency,
         memo=f"paid by {method}")


def top_up(session: Session, user_id: str, method: str, amount: int, currency: str,
           reference: str, bonus: int = 0) -> None:
    """Credit the wallet with ``amount`` paid through ``method`` plus a shop-paid ``bonus``.

    For a package: ``price, credit = TOP_UP_PACKAGES[id]``, then
    ``top_up(..., amount=price, bonus=credit - price)``.
    """
    check_amount(amount)
    legs = [Leg(method_account(method), -amount)]
    if bonus:
        check_amount(bonus)
        legs.append(Leg(MARKETING_BONUS, -bonus))
    legs.append(Leg(wallet_account(user_id), amount + bonus))
    post(session, EntryKind.TOP_UP, reference, legs, currency, user_id=user_id,
         memo=f"top-up by {method}")


def refund(session: Session, user_id: str, amount: int, currency: str, reference: str,
           destination: str) -> None:
    """Give ``amount`` back through the payment method ``destination``: the wallet for
    ``balance``, else that method's account."""
    check_amount(amount)
    target = (wallet_account(user_id) if destination == PaymentMethod.BALANCE
              else method_account(destination))
    post(session, EntryKind.REFUND, reference, [Leg(MERCHANT_SALES, -amount), Leg(target, amount)],
         currency, user_id=user_id, memo=f"refund to {destination}")


def trial_balance(session: Session) -> dict[str, int]:
    """Every account's balance by code; the values always sum to zero."""
    return dict(session.execute(select(LedgerAccount.code, LedgerAccount.balance)).all())


def wallet_balance(session: Session, user_id: str) -> int:
    return session.scalar(select(LedgerAccount.balance).where(
        LedgerAccount.code == wallet_account(user_id))) or 0


# ---------------------------------------------------------------------------------------
# Use cases with their own transaction


def credit_opening_balance(db: Database, user_id: str, amount: int, reference: str) -> int:
    """Fund a wallet from ``equity:opening`` once per (user, reference); return the balance.

    Used by ``python -m payment credit-wallet`` to seed demo users: running the seed
    again mints nothing.
    """
    check_amount(amount)
    if not 0 < len(reference) <= MAX_OPENING_REFERENCE:
        raise InvalidInput(f"a reference has 1 to {MAX_OPENING_REFERENCE} characters")
    with db.transaction() as session:
        post(session, EntryKind.OPENING, f"{user_id}:{reference}",
             [Leg(EQUITY_OPENING, -amount), Leg(wallet_account(user_id), amount)], CURRENCY,
             user_id=user_id, memo="opening balance")
        return wallet_balance(session, user_id)


def check_bank_account(bank_account: str) -> None:
    if not BANK_ACCOUNT.fullmatch(bank_account):
        raise InvalidBankAccount()


def request_withdrawal(db: Database, user_id: str, amount: int, bank_account: str,
                       idempotency_key: IdempotencyKey | None) -> tuple[Withdrawal, bool]:
    """Move ``amount`` from the wallet to ``payouts:pending``; (withdrawal, created).

    The withdrawal row and its entry commit together; a retry with the same
    Idempotency-Key returns the first withdrawal (a different request with it is a 422),
    and the wallet never goes below zero.
    """
    check_amount(amount)
    check_bank_account(bank_account)

    def create() -> Withdrawal:
        with db.transaction() as session:
            withdrawal = Withdrawal(id=time_ordered_id("wd"), user_id=user_id, amount=amount,
                                    currency=CURRENCY, bank_account=bank_account,
                                    status=WithdrawalStatus.PENDING,
                                    **idempotency_columns(idempotency_key),
                                    created_at=now())
            session.add(withdrawal)
            session.flush()  # a concurrent retry with the same key fails here
            post(session, EntryKind.WITHDRAWAL, withdrawal.id,
                 [Leg(wallet_account(user_id), -amount), Leg(PAYOUTS_PENDING, amount)],
                 CURRENCY, user_id=user_id, memo="withdrawal to bank")
        return withdrawal

    return create_once(db, Withdrawal, user_id, idempotency_key, create)


