"""The order service's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        # The timers look for orders by status and deadline.
        Index("ix_orders_status_due", "status", "payment_due_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(30))
    total_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    delivery_method: Mapped[str] = mapped_column(String(20))
    address_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The address as it was at checkout (orders placed before it was kept have none).
    shipping_address: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the request that created the row (service_runtime.idempotency).
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The redeem code the buyer gave at checkout, as given.
    coupon_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The price breakdown of the marketing service's quote (``order.pricing``); NULL on
    # orders placed before it existed (their total is the sum of the lines then).
    # total_amount is the quote's payable.
    discount_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shipping_amount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # [{kind, source_id, label, amount: Money}]: the discounts and the shipping fee.
    adjustments: Mapped[list | None] = mapped_column(JSON, nullable=True)
    user_coupon_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    points_used: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The campaign it was bought through (OrderPlaced's ``campaign``: kind, campaign_id,
    # group_id / starts_group for a group buy, attempt_id for a flash sale); NULL otherwise.
    campaign: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Unpaid (and not cash-on-delivery) after this, the payment deadline timer cancels it.
    payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What the payment service told us; a payment may be known while still ``pending``.
    payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payment_method: Mapped[str | None] = mapped_column(String(20), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cash_on_delivery: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    # Everything refunded so far (``refunded_total`` of the latest RefundIssued), in fen.
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the carrier delivered it: the auto-complete timer counts from here.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.position", cascade="all, delete-orphan", lazy="selectin"
    )
    timeline: Mapped[list[OrderTimelineEntry]] = relationship(
        order_by="OrderTimelineEntry.id", cascade="all, delete-orphan", lazy="selectin"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What the buyer pays for the line (after its share of every discount, with its share
    # of shipping), its share of the points, and how each adjustment was split onto it
    # ([{kind, source_id, amount: Money}]); NULL on orders placed before pricing.
    payable_amount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    allocations: Mapped[list | None] = mapped_column(JSON, nullable=True)


class OrderTimelineEntry(Base):
    __tablename__ = "order_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SkuPrice(Base):
    """The catalog's current price of each SKU, as this service knows it.

    Kept from the catalog's ``ProductUpdated`` events (``updated_at`` = the event's,
    so an older event never overwrites a newer price); ``python -m order
    load-demo-prices`` seeds it before the catalog has published anything.
    """

    __tablename__ = "sku_prices"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    product_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
