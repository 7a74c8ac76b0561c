"""Tables of the double-entry ledger (migration ``payment_0002``).

Sign convention: a posting's ``amount`` is added to its account's ``balance``; a
positive amount credits the account (a wallet gains spendable money), a negative one
debits it. The postings of one entry sum to zero, so the balances of all accounts
always sum to zero too (the trial balance): money enters from ``provider:*``,
``cash:cod`` or ``equity:opening`` (which go negative) and sits in ``wallet:*``,
``merchant:sales`` or ``payouts:pending``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payment.models import Base
from service_runtime.money import Money
from service_runtime.types import UTCDateTime

WALLET_PREFIX = "wallet:"


class EntryKind(StrEnum):
    """What a journal entry records; its ``reference`` is the id of what it belongs to."""

    OPENING = "opening"  # a wallet funded from equity:opening ("<user_id>:<reference>")
    PAYMENT = "payment"  # an order paid from the wallet (the payment)
    PROVIDER_PAYMENT = "provider_payment"  # money a provider or the courier collected
    TOP_UP = "top_up"  # the wallet credited through a provider (the payment)
    REFUND = "refund"  # money given back (the refund)
    WITHDRAWAL = "withdrawal"  # wallet money paid out to a bank (the withdrawal)


class WithdrawalStatus(StrEnum):
    PENDING = "pending"  # moved to payouts:pending, not yet paid out


class LedgerAccount(Base):
    """One account; ``balance`` is the sum of its postings, kept by conditional UPDATEs."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("code", name="uq_ledger_accounts_code"),
        # The database itself refuses a negative wallet, whatever code runs.
        CheckConstraint("substr(code, 1, 7) <> 'wallet:' OR balance >= 0",
                        name="ck_ledger_accounts_wallet_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(80))  # wallet:<user_id>, merchant:sales, ...
    kind: Mapped[str] = mapped_column(String(20))  # asset | liability | revenue | equity
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(Integer)


class JournalEntry(Base):
    """One balanced movement of money; (kind, reference) makes every write idempotent."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        UniqueConstraint("kind", "reference", name="uq_journal_entries_kind_reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(140))
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    memo: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Posting(Base):
    """One leg of an entry. ``balance_after`` is the account's balance right after it."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="ck_ledger_postings_amount_not_zero"),
        Index("ix_ledger_postings_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    balance_after: Mapped[int] = mapped_column(Integer)


class Withdrawal(Base):
    """A user's request to pay wallet money out to a bank account."""

    __tablename__ = "withdrawals"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key",
                         name="uq_withdrawals_user_id_idempotency_key"),
        CheckConstraint("amount > 0", name="ck_withdrawals_amount_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    bank_account: Mapped[str] = mapped_column(String(19))
    status: Mapped[str] = mapped_column(String(20))  # a WithdrawalStatus
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the request that created the row (service_runtime.idempotency).
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)
