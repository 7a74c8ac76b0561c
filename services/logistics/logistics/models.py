"""The logistics service's tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class Order(Base):
    """What logistics knows of an order, learned from events in whatever order they come.

    ``delivery_method`` is None until ``OrderPlaced`` arrives (a payment may come first);
    ``user_id`` is known from any of the order's events. ``cancelled_at`` set means no
    shipment is made for it any more.
    """

    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(100), index=True)
    delivery_method: Mapped[str | None] = mapped_column(String(20))
    address_id: Mapped[str | None] = mapped_column(String(100))
    # Where it goes: the buyer's address as it was at checkout (from OrderPlaced).
    shipping_address: Mapped[dict | None] = mapped_column(JSON)
    lines: Mapped[list | None] = mapped_column(JSON)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Shipment(Base):
    """One parcel: the order's own (``origin`` "order") or an exchange's replacement
    (``origin`` "return:<id>"). The unique (order_id, origin) is what makes a redelivered
    or duplicated payment event create no second shipment."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("order_id", "origin", name="uq_shipments_order_origin"),
        UniqueConstraint("carrier", "tracking_number", name="uq_shipments_tracking"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), index=True)
    origin: Mapped[str] = mapped_column(String(120))
    return_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    cash_on_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_method: Mapped[str | None] = mapped_column(String(20))
    # None until the order's delivery method is known.
    estimated_delivery: Mapped[date | None] = mapped_column(Date)
    pickup_code: Mapped[str | None] = mapped_column(String(6))
    # A replacement's lines; None for the order's own shipment (the order's lines).
    lines: Mapped[list | None] = mapped_column(JSON)
    carrier: Mapped[str | None] = mapped_column(String(20))
    tracking_number: Mapped[str | None] = mapped_column(String(40))
    ready_at: Mapped[datetime] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The order was cancelled after this parcel left: the merchant should intercept it.
    intercept_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Loaded on purpose (selectinload) where a shipment is shown, never lazily.
    order: Mapped[Order] = relationship(lazy="raise")
    timeline: Mapped[list[TrackingEvent]] = relationship(
        order_by="[TrackingEvent.at, TrackingEvent.id]", lazy="raise")

    @property
    def contents(self) -> list:
        """What the parcel holds: its own lines (a replacement) or else its order's."""
        return self.lines if self.lines is not None else (self.order.lines or [])


class TrackingEvent(Base):
    """A timeline entry. Carrier events carry the carrier's ``event_id``, unique per
    shipment, so a repeated callback records each event once; the shop's own entries
    (ready, shipped, cancelled, collected) have none."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("shipment_id", "event_id", name="uq_tracking_events_event"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), index=True)
    event_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(500))
    location: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupBuy(Base):
    """A group buy logistics has heard of: ``succeeded_at`` once ``GroupBuySucceeded``
    arrived. Its orders' parcels are ``held`` until then; the row is locked by both the
    payment and the success handler, so neither misses the other (events come in any
    order, on two replicas)."""

    __tablename__ = "group_buys"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
