"""What ``GET /wallet`` shows: a wallet's balance and its postings, each linked to what it
belongs to (the read side of :mod:`payment.ledger`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from payment.ledger import CURRENCY, WALLET_VIEW_KINDS, wallet_account
from payment.ledger_models import EntryKind, JournalEntry, LedgerAccount, Posting
from payment.models import Payment, Refund
from service_runtime.db import Database
from service_runtime.money import Money


@dataclass(frozen=True)
class WalletLine:
    """One posting to a wallet and what it belongs to: the payment it paid or topped up
    (``payment_id``), the refund that brought money back (``refund_id``, with the
    payment and order refunded), the withdrawal that paid it out (``withdrawal_id``)."""

    amount: int
    currency: str
    kind: str
    reference: str
    balance_after: int
    created_at: datetime
    payment_id: str | None = None
    refund_id: str | None = None
    withdrawal_id: str | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class WalletView:
    balance: Money
    lines: list[WalletLine]
    next_cursor: str | None


def wallet_view(db: Database, user_id: str, limit: int = 50,
                before: int | None = None) -> WalletView:
    """The wallet's balance and its postings newest first, ``limit`` per page.

    ``next_cursor`` (the last shown posting's id) fetches the next page; pages stay
    stable while new entries arrive because ids only grow.
    """
    limit = max(1, min(limit, 100))
    with db.read() as session:
        account = session.execute(select(LedgerAccount.id, LedgerAccount.balance,
                                         LedgerAccount.currency)
                                  .where(LedgerAccount.code == wallet_account(user_id))).first()
        if account is None:
            return WalletView(balance=Money(0, CURRENCY), lines=[], next_cursor=None)
        # An entry's reference is the id of what it belongs to (see the writers above).
        query = (select(Posting, JournalEntry, Refund.payment_id, Refund.order_id,
                        Payment.order_id)
                 .join(JournalEntry, Posting.entry_id == JournalEntry.id)
                 .outerjoin(Refund, and_(JournalEntry.kind == EntryKind.REFUND,
                                         Refund.id == JournalEntry.reference))
                 .outerjoin(Payment, and_(JournalEntry.kind == EntryKind.PAYMENT,
                                          Payment.id == JournalEntry.reference))
                 .where(Posting.account_id == account.id)
                 .order_by(Posting.id.desc()).limit(limit + 1))
        if before is not None:
            query = query.where(Posting.id < before)
        rows = session.execute(query).all()
    page = rows[:limit]
    return WalletView(balance=Money(account.balance, account.currency),
                      lines=[_view_line(user_id, *row) for row in page],
                      next_cursor=str(page[-1][0].id) if len(rows) > limit else None)


def _view_line(user_id: str, posting: Posting, entry: JournalEntry, refunded_payment: str | None,
               refunded_order: str | None, paid_order: str | None) -> WalletLine:
    reference = entry.reference
    links: dict[str, str | None] = {}
    if entry.kind == EntryKind.OPENING:
        reference = reference.removeprefix(f"{user_id}:")
    elif entry.kind == EntryKind.PAYMENT:
        links = {"payment_id": reference, "order_id": paid_order}
    elif entry.kind == EntryKind.TOP_UP:
        links = {"payment_id": reference}
    elif entry.kind == EntryKind.REFUND:
        links = {"refund_id": reference, "payment_id": refunded_payment,
                 "order_id": refunded_order}
    elif entry.kind == EntryKind.WITHDRAWAL:
        links = {"withdrawal_id": reference}
    return WalletLine(amount=posting.amount, currency=posting.currency,
                      kind=WALLET_VIEW_KINDS.get(entry.kind, entry.kind), reference=reference,
                      balance_after=posting.balance_after, created_at=entry.created_at, **links)
