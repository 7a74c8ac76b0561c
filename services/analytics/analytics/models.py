"""The analytics service's tables (its migrations create exactly these).

Behaviour events are appended as clients send them; the facts of orders, payments,
refunds and products are copies kept from the business events (any order, any number
of times: see ``analytics.facts``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_runtime.types import UTCDateTime

# SQLite only numbers a row by itself for an INTEGER PRIMARY KEY.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData()


class BehaviourEvent(Base):
    """One event a client sent (``POST /track``)."""

    __tablename__ = "behaviour_events"
    __table_args__ = (
        # A client's retry of a batch carries the same ids: kept once.
        UniqueConstraint("session_id", "event_id", name="uq_behaviour_events_session_event"),
        Index("ix_behaviour_events_type_occurred", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    # From the access token, never from the body; none for an anonymous shopper.
    user_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    path: Mapped[str | None] = mapped_column(String(512))
    product_id: Mapped[int | None] = mapped_column(Integer)
    props: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class OrderFact(Base):
    """An order as the business events told it; each fact is written once."""

    __tablename__ = "order_facts"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    # What the buyer was to pay (OrderPlaced.total) and the discounts in it.
    total: Mapped[int | None] = mapped_column(BigInteger)
    discount: Mapped[int | None] = mapped_column(BigInteger)
    # None until OrderPlaced arrives (a payment or a refund may be heard first).
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    placed_on: Mapped[date | None] = mapped_column(Date, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The sum of its refunds (second charges of a paid order excluded).
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderLineFact(Base):
    __tablename__ = "order_line_facts"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(Integer, index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    # What the buyer pays for the line (its ``payable``, else unit price x quantity).
    amount: Mapped[int] = mapped_column(BigInteger)
    # The order's day, copied so a report by product reads the lines of a window only.
    placed_on: Mapped[date] = mapped_column(Date, index=True)


class RefundFact(Base):
    __tablename__ = "refund_facts"

    refund_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # A second charge given back: the order itself is not refunded by it.
    duplicate_payment: Mapped[bool] = mapped_column(Boolean)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProductFact(Base):
    """A product's category, brand and name, as its newest ProductUpdated says."""

    __tablename__ = "product_facts"

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
