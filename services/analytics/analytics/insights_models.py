"""The tables of the insights reports (promotions, user profiles), beside the facts of
``analytics.models`` and on the same ``Base`` (its migration: analytics_0002_insights)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics.models import Base
from service_runtime.types import UTCDateTime


class OrderAdjustmentFact(Base):
    """One discount of an order that a promotion, a coupon or a campaign gave
    (``OrderPlaced.adjustments`` with a ``source_id``; points and shipping are not kept)."""

    __tablename__ = "order_adjustment_facts"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    adjustment_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class UserProfile(Base):
    """A shopper's running totals, moved by each order event as it arrives; the tags
    (RFM segment, price band, churn risk) are scored from them (``analytics.profiles``)."""

    __tablename__ = "user_profiles"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Orders placed and not cancelled; what they cost and how many items they held.
    orders: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProfileOrder(Base):
    """What an order added to its buyer's profile, so that a cancellation heard before or
    after it takes exactly that away (or keeps it from being added)."""

    __tablename__ = "profile_orders"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    placed: Mapped[bool] = mapped_column(Boolean)
    cancelled: Mapped[bool] = mapped_column(Boolean)
    # True while the order's figures are in the profile.
    counted: Mapped[bool] = mapped_column(Boolean)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)


class UserProductUnits(Base):
    """Items a user ordered per product. The preferred categories are read through the
    products' newest categories (a user's few rows): right whichever of ProductUpdated
    and OrderPlaced came first, and after a product moves category."""

    __tablename__ = "user_product_units"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    units: Mapped[int] = mapped_column(Integer, default=0)
