"""The catalog service's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class Category(Base):
    """A node of the category tree (level 1 to 3); ids are given, not generated."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), nullable=True,
                                                  index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    images: Mapped[list] = mapped_column(JSON, default=list)
    specs: Mapped[dict] = mapped_column(JSON, default=dict)
    # The lowest SKU price: what lists show, sort and filter by.
    price_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    sales_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    # The average rating times 100 (4.73 stars is 473): integers sort and compare exactly.
    rating_avg_x100: Mapped[int] = mapped_column(Integer, default=0)
    # The sum of all ratings, so the average is recomputed exactly, never drifting.
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    skus: Mapped[list[Sku]] = relationship(
        order_by="Sku.position", cascade="all, delete-orphan", lazy="selectin"
    )


class Sku(Base):
    """One sellable variant. ``reserved`` is what open orders hold of ``on_hand``."""

    __tablename__ = "skus"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="ck_skus_on_hand"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="ck_skus_reserved"),
    )

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    price_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class SearchToken(Base):
    """The search index: which product a token (a word, prefix or Chinese n-gram) occurs in.
    Derived from products by the catalog's own indexing alone, so no foreign key checks
    each of a product's hundred rows (migration catalog_0005), and keyed the way search
    reads it, best weight first (catalog_0006): on SQLite that key is the table's own order
    (WITHOUT ROWID); on PostgreSQL ``ix_search_tokens_lookup`` holds it and the table has
    no key constraint. A product's tokens are deleted and written again only in the
    transaction that updates its row (so under that row's lock), so a (token, product_id)
    pair never repeats."""

    __tablename__ = "search_tokens"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


# See migration catalog_0003: a page of any sort, the facets, the catalog's version and a
# search token's best matches are each read off one index.
Index("ix_products_sales_id", Product.sales_count.desc(), Product.id)
Index("ix_products_price_asc_id", Product.price_amount, Product.id)
Index("ix_products_price_desc_id", Product.price_amount.desc(), Product.id)
Index("ix_products_newest_id", Product.created_at.desc(), Product.id)
Index("ix_products_rating_id", Product.rating_avg_x100.desc(), Product.id)
Index("ix_products_facets", Product.category_id, Product.brand, Product.price_amount)
Index("ix_products_updated_at", Product.updated_at)
Index("ix_search_tokens_lookup", SearchToken.token, SearchToken.weight.desc(),
      SearchToken.product_id)  # PostgreSQL only: SQLite's table is this order
Index("ix_skus_product_stock", Sku.product_id, Sku.on_hand, Sku.reserved)


class Reservation(Base):
    """What one order holds (or was refused); one row per order makes events idempotent."""

    __tablename__ = "reservations"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # reserved | rejected | released | committed
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list[ReservationLine]] = relationship(
        order_by="ReservationLine.sku", cascade="all, delete-orphan", lazy="selectin"
    )


class RestockedReturn(Base):
    """A return whose goods came back on hand: one row per return, so never twice."""

    __tablename__ = "restocked_returns"

    return_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    restocked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReservationLine(Base):
    __tablename__ = "reservation_lines"

    order_id: Mapped[str] = mapped_column(ForeignKey("reservations.order_id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


from catalog import flash_models  # noqa: E402,F401  the flash-sale holds, on this Base
