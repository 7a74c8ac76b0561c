"""One product as its page shows it: SKUs with live stock, specs, images, category path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import Session, aliased

from catalog.models import Category, Product, Sku
from service_runtime.db import Database
from service_runtime.errors import NotFound

MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class SkuView:
    sku: str
    attributes: dict[str, str]
    price_amount: int
    currency: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class CategoryRef:
    id: int
    name: str
    name_en: str


@dataclass(frozen=True)
class ProductView:
    id: int
    name: str
    brand: str
    description: str
    category_id: int
    images: list[str]
    specs: dict[str, str]
    price_amount: int
    currency: str
    sales_count: int
    rating_count: int
    rating_avg_x100: int
    created_at: datetime
    updated_at: datetime
    skus: list[SkuView]
    category_path: list[CategoryRef]

    @property
    def in_stock(self) -> bool:
        return any(sku.available > 0 for sku in self.skus)


# Built once: constructing a statement costs more than running these primary-key reads.
_PRODUCT = select(
    Product.id, Product.name, Product.brand, Product.description, Product.category_id,
    Product.images, Product.specs, Product.price_amount, Product.currency,
    Product.sales_count, Product.rating_count, Product.rating_avg_x100, Product.created_at,
    Product.updated_at,
).where(Product.id == bindparam("product_id"))
_SKUS = select(
    Sku.sku, Sku.attributes, Sku.price_amount, Sku.currency, Sku.on_hand, Sku.reserved,
).where(Sku.product_id == bindparam("product_id")).order_by(Sku.position)


def _category_path_query():  # type: ignore[no-untyped-def]
    """A category and its ancestors, from the top level down, in one recursive query."""
    start = (select(Category.id, Category.name, Category.name_en, Category.parent_id,
                    literal(0).label("depth"))
             .where(Category.id == bindparam("category_id")).cte("path", recursive=True))
    parent = aliased(Category)
    path = start.union_all(
        select(parent.id, parent.name, parent.name_en, parent.parent_id, start.c.depth + 1)
        .join(start, parent.id == start.c.parent_id).where(start.c.depth < 10))
    return select(path.c.id, path.c.name, path.c.name_en).order_by(path.c.depth.desc())


_CATEGORY_PATH = _category_path_query()


def get_product(db: Database, product_id: int) -> ProductView:
    """A product with its SKUs and ``category_path`` (the categories from the top down):
    three reads of plain columns by key."""
    if not 0 < product_id <= MAX_ID:
        raise NotFound(f"no product {product_id}")
    with db.read() as session:
        connection = session.connection()
        row = connection.execute(_PRODUCT, {"product_id": product_id}).first()
        if row is None:
            raise NotFound(f"no product {product_id}")
        skus = [SkuView(*s) for s in connection.execute(_SKUS, {"product_id": product_id})]
        return ProductView(*row, skus=skus, category_path=category_path(session,
                                                                        row.category_id))


def category_path(session: Session, category_id: int) -> list[CategoryRef]:
    return [CategoryRef(*row) for row in session.connection().execute(
        _CATEGORY_PATH, {"category_id": category_id})]
