"""The bulk import (demo loader, large catalogs): the same products, search index and
events as adding them one by one, much faster."""

import pytest
from sqlalchemy import select

from catalog.domain import SkuTaken, UnknownCategory
from catalog.importing import import_catalog
from catalog.models import Product, SearchToken, Sku
from catalog.products import create_product
from service_runtime.testing.plugin import outbox_events

CATEGORIES = [
    {"id": 1, "parent_id": None, "name": "家用电器", "name_en": "Home Appliances", "level": 1,
     "position": 0},
    {"id": 11, "parent_id": 1, "name": "电热水壶", "name_en": "Electric Kettles", "level": 2,
     "position": 0},
]


def kettle(code: str) -> dict:
    return {
        "name": "美的电热水壶 Midea Electric Kettle 1.5L", "brand": "美的", "category_id": 11,
        "description": "304不锈钢 stainless steel", "images": ["https://img.example/k.jpg"],
        "specs": {"容量 Capacity": "1.5L"},
        "skus": [{"sku": f"{code}-W", "attributes": {"colour": "白色 White"},
                  "price": {"amount": 8900, "currency": "CNY"}, "stock": 3},
                 {"sku": f"{code}-B", "attributes": {"colour": "黑色 Black"},
                  "price": {"amount": 7900, "currency": "CNY"}}],
    }


def stored(db, product_id):
    with db.read() as session:
        product = session.get(Product, product_id)
        tokens = set(session.execute(select(SearchToken.token, SearchToken.weight)
                                     .where(SearchToken.product_id == product_id)).all())
        skus = [(s.position, s.price_amount, s.on_hand, s.attributes) for s in session.scalars(
            select(Sku).where(Sku.product_id == product_id).order_by(Sku.position))]
        return (product.name, product.price_amount, product.category_id, product.images,
                product.specs), skus, tokens


def test_an_imported_product_is_stored_indexed_and_announced_as_one_created_alone(db):
    assert import_catalog(db, CATEGORIES, []).categories_added == 2
    alone = create_product(db, kettle("ONE"))
    result = import_catalog(db, [], [kettle("BULK")])
    assert (result.products_added, result.products_skipped) == (1, 0)
    with db.read() as session:
        imported = session.scalar(select(Sku.product_id).where(Sku.sku == "BULK-W"))
    assert stored(db, imported) == stored(db, alone.id)
    events = {e["key"]: e["data"] for e in outbox_events(db, "ProductUpdated")}
    one, bulk = events[str(alone.id)], events[str(imported)]
    assert [s["price"] for s in bulk["skus"]] == [s["price"] for s in one["skus"]]
    assert [s["available"] for s in bulk["skus"]] == [3, 0]
    assert bulk["name"] == one["name"] and bulk["category_id"] == 11


def test_a_known_product_is_skipped_and_a_taken_sku_refuses_the_chunk(db):
    import_catalog(db, CATEGORIES, [kettle("A")])
    again = import_catalog(db, CATEGORIES, [kettle("A"), kettle("B")])
    assert (again.categories_added, again.products_added, again.products_skipped) == (0, 1, 1)
    clash = kettle("C")
    clash["skus"][1]["sku"] = "B-B"
    with pytest.raises(SkuTaken):
        import_catalog(db, [], [kettle("D"), clash])
    with db.read() as session:
        assert session.scalar(select(Sku.sku).where(Sku.sku == "D-W")) is None
    with pytest.raises(UnknownCategory):
        import_catalog(db, [], [{**kettle("E"), "category_id": 99}])
    assert len(outbox_events(db, "ProductUpdated")) == 2
