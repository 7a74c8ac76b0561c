"""The after-sales service's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service_runtime.money import Money
from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class OrderView(Base):
    """An order as after-sales knows it, kept only from order, payment and logistics events.

    A row may exist before its ``OrderPlaced`` arrived (events of other topics came first):
    then ``placed_at`` is null and the order has no lines yet.
    """

    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Everything the payment service refunded for the order so far, in fen.
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(Integer)
    # The line's payable from OrderPlaced (after discounts, with its share of shipping);
    # NULL on orders placed before promotions (refunded at unit prices then).
    payable_amount: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ReturnRequest(Base):
    """A buyer's after-sales request: refund only, return and refund, or exchange."""

    __tablename__ = "returns"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_returns_idempotency"),
        CheckConstraint("refund_amount >= 0", name="ck_returns_refund_amount"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(20))
    # requested | approved | rejected | received | refunded | exchanged
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    refund_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    reject_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the request that created the row (service_runtime.idempotency).
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Loaded on purpose (selectinload) where a request is shown, never lazily.
    lines: Mapped[list[ReturnLine]] = relationship(order_by="ReturnLine.sku", lazy="raise")
    timeline: Mapped[list[ReturnStep]] = relationship(order_by="ReturnStep.id", lazy="raise")

    @property
    def refund(self) -> Money:
        """What the request asks to have refunded (0 for an exchange)."""
        return Money(self.refund_amount, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_amount, self.currency)


class ReturnLine(Base):
    __tablename__ = "return_lines"

    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


class ReturnStep(Base):
    """One entry of a request's progress timeline (requested, approved, received, ...)."""

    __tablename__ = "return_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Review(Base):
    """A buyer's review of one product of one order; one per (order, product)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_reviews_order_product"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="ck_reviews_rating"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(2000))
    images: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Ticket(Base):
    """A customer-service conversation, optionally about one of the customer's orders."""

    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject: Mapped[str] = mapped_column(String(200))
    # open | answered | closed
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Loaded on purpose (selectinload) where a ticket is shown, never lazily.
    messages: Mapped[list[TicketMessage]] = relationship(order_by="TicketMessage.id",
                                                         lazy="raise")


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[str] = mapped_column(String(64))
    from_staff: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
