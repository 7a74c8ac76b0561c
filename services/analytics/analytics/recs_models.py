"""The tables of recommendations (``analytics.recommendations``): counts kept up to date as
orders and views arrive, so that answering reads a few indexed rows and computes nothing
over the history.

Every count is an increment in the database (``INSERT ... ON CONFLICT DO UPDATE``), so
two consumers adding to one row add up; each order and each (session, product) is counted
once, gated by a row of its own inserted in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics.models import Base
from service_runtime.types import UTCDateTime


class PairKind(StrEnum):
    BOUGHT = "bought"  # in one order
    VIEWED = "viewed"  # viewed in one session


class RecPair(Base):
    """How often ``other_id`` went with ``product_id``; kept both ways round, so a
    product's neighbours are one index range."""

    __tablename__ = "rec_pairs"
    __table_args__ = (Index("ix_rec_pairs_neighbours", "kind", "product_id", "count"),)

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    other_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)


class RecProduct(Base):
    """A product's popularity (orders it was in, sessions that viewed it) and its lowest
    SKU price (from ProductUpdated, the newest wins) for the price band of "similar"."""

    __tablename__ = "rec_products"
    __table_args__ = (Index("ix_rec_products_popularity", "orders", "views"),)

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    price_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecUserProduct(Base):
    """What one signed-in user viewed (sessions) and bought (orders): their profile."""

    __tablename__ = "rec_user_products"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    views: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)


class RecSessionProduct(Base):
    """A product viewed in a session (counted once; at most ``MAX_SESSION_PRODUCTS``),
    kept ``ANALYTICS_RECS_COUNTED_DAYS`` from ``counted_at`` (``analytics.recs_retention``)."""

    __tablename__ = "rec_session_products"
    __table_args__ = (Index("ix_rec_session_products_counted_at", "counted_at"),)

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # None: counted before the column existed (the pruning job dates it when it finds it).
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecBasket(Base):
    """An order whose lines were counted (a second delivery of it counts nothing), kept as
    long as a ``RecSessionProduct``."""

    __tablename__ = "rec_baskets"
    __table_args__ = (Index("ix_rec_baskets_counted_at", "counted_at"),)

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecCursor(Base):
    """How far the view counter has read ``behaviour_events`` (by id)."""

    __tablename__ = "rec_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
