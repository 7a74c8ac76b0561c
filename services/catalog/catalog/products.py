"""Catalog administration: products, their SKUs and stock, the bulk load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.categories import path_from_root
from catalog.domain import SkuTaken, UnknownCategory, product_tokens
from catalog.events import publish_product
from catalog.importing import import_catalog
from catalog.models import Category, Product, SearchToken, Sku
from catalog.product_view import MAX_ID
from service_runtime.db import Database
from service_runtime.errors import Conflict, InvalidInput, NotFound
from service_runtime.ids import utcnow as now


class StockBelowReserved(Conflict):
    slug, title = "stock-below-reserved", "Stock cannot go below what open orders reserved"


def _reindex(session: Session, product: Product) -> None:
    path = path_from_root(session, product.category_id)
    tokens = product_tokens(product.name, product.brand,
                            [f"{c.name} {c.name_en}" for c in path], product.description,
                            [sku.attributes for sku in product.skus])
    session.execute(delete(SearchToken).where(SearchToken.product_id == product.id))
    if tokens:
        session.execute(insert(SearchToken), [
            {"token": token, "product_id": product.id, "weight": weight}
            for token, weight in tokens.items()
        ])


def _refresh_price(product: Product) -> None:
    cheapest = min(product.skus, key=lambda s: s.price_amount)
    product.price_amount, product.currency = cheapest.price_amount, cheapest.currency


def _check_category(session: Session, category_id: int) -> None:
    if session.get(Category, category_id) is None:
        raise UnknownCategory(f"no category {category_id}", field="category_id")


def _check_skus_free(session: Session, codes: Sequence[str], product_id: int | None) -> None:
    if len(set(codes)) != len(codes):
        raise InvalidInput("SKU codes must be unique within a product")
    taken = sorted(sku.sku for sku in session.scalars(select(Sku).where(Sku.sku.in_(codes)))
                   if sku.product_id != product_id)
    if taken:
        raise SkuTaken(skus=taken)


def _add_product(session: Session, data: Mapping[str, Any], at: datetime) -> Product:
    _check_category(session, data["category_id"])
    _check_skus_free(session, [s["sku"] for s in data["skus"]], None)
    product = Product(
        name=data["name"], brand=data["brand"], description=data.get("description", ""),
        category_id=data["category_id"], images=list(data.get("images", [])),
        specs=dict(data.get("specs", {})), sales_count=data.get("sales_count", 0),
        rating_count=data.get("rating_count", 0),
        rating_avg_x100=data.get("rating_avg_x100", 0),
        rating_total=(data.get("rating_avg_x100", 0) * data.get("rating_count", 0) + 50) // 100,
        created_at=data.get("created_at", at), updated_at=at,
        skus=[
            Sku(sku=s["sku"], position=i, attributes=dict(s.get("attributes", {})),
                price_amount=s["price"]["amount"], currency=s["price"]["currency"],
                on_hand=s.get("stock", 0), reserved=0)
            for i, s in enumerate(data["skus"])
        ],
    )
    _refresh_price(product)
    session.add(product)
    session.flush()
    _reindex(session, product)
    publish_product(session, product)
    return product


def create_product(db: Database, data: Mapping[str, Any]) -> Product:
    with db.transaction() as session:
        try:
            product = _add_product(session, data, now())
            session.flush()
        except IntegrityError as exc:  # a concurrent create took a SKU code first
            raise SkuTaken() from exc
    return product


def update_product(db: Database, product_id: int, changes: Mapping[str, Any]) -> Product:
    """Change what is given; SKUs listed are updated (price, attributes) or added."""
    with db.transaction() as session:
        product = session.get(Product, product_id) if 0 < product_id <= MAX_ID else None
        if product is None:
            raise NotFound(f"no product {product_id}")
        if "category_id" in changes:
            _check_category(session, changes["category_id"])
        for name in ("name", "brand", "description", "category_id"):
            if name in changes:
                setattr(product, name, changes[name])
        if "images" in changes:
            product.images = list(changes["images"])
        if "specs" in changes:
            product.specs = dict(changes["specs"])
        if "skus" in changes:
            codes = [s["sku"] for s in changes["skus"]]
            _check_skus_free(session, codes, product.id)
            existing = {s.sku: s for s in product.skus}
            for change in changes["skus"]:
                sku = existing.get(change["sku"])
                if sku is None:
                    if "price" not in change:
                        raise InvalidInput(f"a new SKU needs a price: {change['sku']}",
                                           field="skus.price")
                    sku = Sku(sku=change["sku"], position=len(product.skus), attributes={},
                              price_amount=0, currency="CNY", on_hand=0, reserved=0)
                    product.skus.append(sku)
                    existing[sku.sku] = sku
                if "price" in change:
                    sku.price_amount = change["price"]["amount"]
                    sku.currency = change["price"]["currency"]
                if "attributes" in change:
                    sku.attributes = dict(change["attributes"])
            _refresh_price(product)
        product.updated_at = now()
        session.flush()
        _reindex(session, product)
        publish_product(session, product)
    return product


def set_stock(db: Database, sku_code: str, quantity: int) -> Sku:
    """Set what is on hand; never below what open orders reserved (checked by the update)."""
    with db.transaction() as session:
        changed = session.execute(
            update(Sku).where(Sku.sku == sku_code, Sku.reserved <= quantity)
            .values(on_hand=quantity).execution_options(synchronize_session=False)
        ).rowcount
        sku = session.get(Sku, sku_code, populate_existing=True)
        if sku is None:
            raise NotFound(f"no SKU {sku_code}")
        if changed != 1:
            raise StockBelowReserved(f"{sku.reserved} units of {sku_code} are reserved",
                                     reserved=sku.reserved)
        product = session.get(Product, sku.product_id)
        product.updated_at = now()
        publish_product(session, product)
    return sku


def load_catalog(db: Database, categories: Sequence[Mapping[str, Any]],
                 products: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """Add the categories and products not there yet (a product is known by its first SKU).

    Returns (categories added, products added); running it again adds nothing.
    """
    result = import_catalog(db, categories, products)
    return result.categories_added, result.products_added
