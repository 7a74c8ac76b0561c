"""The cart service's tables."""

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class Cart(Base):
    """One cart per owner: ``user:<user id>`` or ``guest:<sha256 of the cart token>``.

    A guest's token is a bearer secret, so only its hash is stored.
    """

    __tablename__ = "carts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CatalogSku(Base):
    """The catalog's current view of one SKU, kept only from ``ProductUpdated`` events.

    ``listed`` is False once a newer event of its product no longer names the SKU.
    """

    __tablename__ = "catalog_skus"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    price_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    available: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 1 AND quantity <= 99", name="ck_cart_lines_quantity"),
    )

    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"),
                                         primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("catalog_skus.sku"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
