"""double-entry ledger: accounts, journal entries, postings, withdrawals

Moves every existing ``wallets`` row into a ``wallet:<user_id>`` account funded by an
opening entry against ``equity:opening``, so no balance is lost. The old ``wallets`` and
``wallet_ledger`` tables are left untouched here (nothing writes them any more).

Revision ID: payment_0002
Revises: payment_0001
Create Date: 2026-11-23
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from service_runtime.compatibility import SchemaChange

revision = "payment_0002"
down_revision = "payment_0001"
branch_labels = None
depends_on = None
schema_change = SchemaChange.EXPAND

CURRENCY = "CNY"
# The shop's own accounts; wallet accounts are created on first use.
SYSTEM_ACCOUNTS = (
    ("provider:alipay", "asset"),
    ("provider:wechat", "asset"),
    ("provider:card", "asset"),
    ("cash:cod", "asset"),
    ("merchant:sales", "revenue"),
    ("equity:opening", "equity"),
    ("payouts:pending", "liability"),
)


def upgrade() -> None:
    accounts = op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance", sa.Integer, nullable=False),
        sa.UniqueConstraint("code", name="uq_ledger_accounts_code"),
        sa.CheckConstraint("substr(code, 1, 7) <> 'wallet:' OR balance >= 0",
                           name="ck_ledger_accounts_wallet_not_negative"),
    )
    entries = op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(140), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True, index=True),
        sa.Column("memo", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "reference", name="uq_journal_entries_kind_reference"),
    )
    postings = op.create_table(
        "ledger_postings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("journal_entries.id"), nullable=False,
                  index=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("ledger_accounts.id"),
                  nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance_after", sa.Integer, nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_postings_amount_not_zero"),
    )
    op.create_index("ix_ledger_postings_account_id_id", "ledger_postings", ["account_id", "id"])
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("bank_account", sa.String(19), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "idempotency_key",
                            name="uq_withdrawals_user_id_idempotency_key"),
        sa.CheckConstraint("amount > 0", name="ck_withdrawals_amount_positive"),
    )

    # Data: the system accounts, then one wallet account + opening entry per wallet.
    bind = op.get_bind()
    op.bulk_insert(accounts, [
        {"code": code, "kind": kind, "currency": CURRENCY, "balance": 0}
        for code, kind in SYSTEM_ACCOUNTS
    ])
    wallets = sa.table("wallets", sa.column("user_id", sa.String), sa.column("balance", sa.Integer),
                       sa.column("currency", sa.String))
    now = datetime.now(UTC)
    opening_id = bind.scalar(sa.select(accounts.c.id).where(accounts.c.code == "equity:opening"))
    opening_total = 0
    for user_id, balance, currency in bind.execute(
            sa.select(wallets.c.user_id, wallets.c.balance, wallets.c.currency)
            .order_by(wallets.c.user_id)).all():
        wallet_id = bind.execute(accounts.insert().values(
            code=f"wallet:{user_id}", kind="liability", currency=currency, balance=balance,
        )).inserted_primary_key[0]
        if balance == 0:
            continue
        opening_total += balance
        entry_id = bind.execute(entries.insert().values(
            kind="opening", reference=f"{user_id}:migrated-wallet", user_id=user_id,
            memo="balance of the single-entry wallet (payment_0002)", created_at=now,
        )).inserted_primary_key[0]
        bind.execute(postings.insert(), [
            {"entry_id": entry_id, "account_id": opening_id, "amount": -balance,
             "currency": currency, "balance_after": -opening_total},
            {"entry_id": entry_id, "account_id": wallet_id, "amount": balance,
             "currency": currency, "balance_after": balance},
        ])
    if opening_total:
        bind.execute(accounts.update().where(accounts.c.id == opening_id)
                     .values(balance=-opening_total))


def downgrade() -> None:
    op.drop_table("withdrawals")
    op.drop_index("ix_ledger_postings_account_id_id", table_name="ledger_postings")
    op.drop_table("ledger_postings")
    op.drop_table("journal_entries")
    op.drop_table("ledger_accounts")
