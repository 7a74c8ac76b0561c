"""The flash-sale tables (migration marketing_0002_flash_sales).

The SQL counters are the truth the gate's Redis copy is reconciled against:
``FlashItem.remaining`` only moves by conditional UPDATEs (``remaining >= q``), a buyer's
``FlashBuyer.bought`` likewise (``bought + q <= per_user_limit``), and every unit taken
from them is one ``FlashAttempt`` that is pending or ordered; a unit given back ends its
attempt (rejected or cancelled) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketing.models import Base
from service_runtime.types import UTCDateTime


class FlashSession(Base):
    __tablename__ = "flash_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    payment_seconds: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)  # FlashSessionStatus
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FlashItem(Base):
    """One SKU of a session. ``remaining`` is 0 until the catalog held the stock
    (``stock_status`` pending -> held), then what the gate may still give out."""

    __tablename__ = "flash_items"
    __table_args__ = (CheckConstraint("remaining >= 0", name="ck_flash_items_remaining"),)

    session_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    flash_price: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)  # asked of the catalog
    held: Mapped[int | None] = mapped_column(Integer, nullable=True)  # what it set apart
    remaining: Mapped[int] = mapped_column(Integer)
    per_user_limit: Mapped[int] = mapped_column(Integer)
    stock_status: Mapped[str] = mapped_column(String(10))  # FlashStockStatus


class FlashBuyer(Base):
    """How many units of an item a buyer holds through live attempts."""

    __tablename__ = "flash_buyers"
    __table_args__ = (CheckConstraint("bought >= 0", name="ck_flash_buyers_bought"),)

    session_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bought: Mapped[int] = mapped_column(Integer)


class FlashAttempt(Base):
    """A won attempt: pending (its order is being made) -> ordered -> cancelled, or
    rejected (no order could be made)."""

    __tablename__ = "flash_attempts"
    __table_args__ = (Index("ix_flash_attempts_item_status", "session_id", "sku", "status"),
                      Index("uq_flash_attempts_idempotency", "user_id", "idempotency_key",
                            unique=True))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # AttemptStatus
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the request that won it (service_runtime.idempotency).
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
