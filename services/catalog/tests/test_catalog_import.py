"""The bulk import (demo loader, large catalogs): the same products, search index and
events as adding them one by one, much faster."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from catalog import importing
from catalog.definition import import_products
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


IMPORT = "/api/v1/admin/products/import"


def ndjson(*products: dict) -> str:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in products)


def skus_stored(db) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(Sku.sku)))


def test_an_admin_imports_a_product_file_and_the_same_file_again_adds_nothing(
        client, db, admin_headers):
    import_catalog(db, CATEGORIES, [])
    file = ndjson(kettle("F1"), kettle("F2")) + "\n"  # a blank line is no product
    first = client.post(IMPORT, data=file.encode(), headers=admin_headers,
                        content_type="application/x-ndjson")
    assert first.status_code == 200, first.json
    assert first.json == {"products_added": 2, "products_skipped": 0}
    assert skus_stored(db) == {"F1-W", "F1-B", "F2-W", "F2-B"}
    found = client.get("/api/v1/products", query_string={"q": "电热水壶"}).json
    assert len(found["items"]) == 2
    again = client.post(IMPORT, data=ndjson(kettle("F1"), kettle("F3")).encode(),
                        headers=admin_headers, content_type="application/x-ndjson")
    assert again.json == {"products_added": 1, "products_skipped": 1}
    assert len(outbox_events(db, "ProductUpdated")) == 3


@pytest.mark.parametrize(("lines", "status", "fields"), [
    (lambda: ['{"name": "no brand"}'], 422, {"1.brand", "1.category_id", "1.skus"}),
    (lambda: [json.dumps(kettle("G1")), "not json"], 422, {"2"}),
    (lambda: [json.dumps(kettle("G1")), json.dumps({**kettle("G2"), "category_id": 99})],
     422, {"2.category_id"}),
    (lambda: [json.dumps(kettle("G1")), json.dumps({**kettle("G2"), "skus": [
        *kettle("G2")["skus"], {"sku": "TAKEN-1", "price": {"amount": 100, "currency": "CNY"}}]})],
     409, None),
    (lambda: [""], 422, {"0"}),
])
def test_a_bad_file_is_refused_whole_and_changes_nothing(client, db, admin_headers, monkeypatch,
                                                          lines, status, fields):
    monkeypatch.setattr(importing, "CHUNK", 1)  # a product a chunk: still one transaction
    import_catalog(db, CATEGORIES, [{**kettle("OLD"), "skus": [
        {"sku": "OLD-W", "price": {"amount": 100, "currency": "CNY"}},
        {"sku": "TAKEN-1", "price": {"amount": 100, "currency": "CNY"}}]}])
    before, events = skus_stored(db), len(outbox_events(db, "ProductUpdated"))
    refused = client.post(IMPORT, data="\n".join(lines()).encode(), headers=admin_headers,
                          content_type="application/x-ndjson")
    assert refused.status_code == status, refused.json
    assert refused.headers["Content-Type"] == "application/problem+json"
    if fields is not None:  # bad lines are named by their numbers, in the body
        assert {e["field"] for e in refused.json["errors"]} == fields
        assert {e["location"] for e in refused.json["errors"]} == {"body"}
    assert skus_stored(db) == before
    assert len(outbox_events(db, "ProductUpdated")) == events


def test_only_an_admin_imports(client, db, customer_headers):
    body = ndjson(kettle("H1")).encode()
    assert client.post(IMPORT, data=body, content_type="application/x-ndjson").status_code \
        == 401
    assert client.post(IMPORT, data=body, headers=customer_headers,
                       content_type="application/x-ndjson").status_code == 403
    assert skus_stored(db) == set()


def test_the_import_command_loads_a_file_and_names_its_bad_lines(db, tmp_path, monkeypatch):
    monkeypatch.setenv("CATALOG_DATABASE_URL", db.engine.url.render_as_string(
        hide_password=False))
    import_catalog(db, CATEGORIES, [])
    file = tmp_path / "products.ndjson"
    file.write_text(ndjson(*(kettle(f"CLI{n}") for n in range(3))), encoding="utf-8")
    done = CliRunner().invoke(import_products, [str(file)])
    assert done.exit_code == 0, done.output
    assert "3 products added, 0 already there" in done.output
    file.write_text(ndjson(kettle("CLI9")) + '{"name": ""}\n', encoding="utf-8")
    refused = CliRunner().invoke(import_products, [str(file)])
    assert refused.exit_code != 0 and "2.name" in refused.output
    assert "CLI9-W" not in skus_stored(db) and "CLI0-W" in skus_stored(db)


def test_a_catalog_in_many_chunks_is_imported_whole_and_a_bad_chunk_is_raised(
        db, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 2)  # on PostgreSQL two chunks are written at once
    import_catalog(db, CATEGORIES, [kettle("K0")])
    result = import_catalog(db, [], [kettle(f"K{n}") for n in range(9)])
    assert (result.products_added, result.products_skipped) == (8, 1)
    assert {f"K{n}-W" for n in range(9)} <= skus_stored(db)
    assert len(outbox_events(db, "ProductUpdated")) == 9

    clash = kettle("M3")
    clash["skus"][1]["sku"] = "K5-B"
    with pytest.raises(SkuTaken):
        import_catalog(db, [], [kettle("M0"), kettle("M1"), kettle("M2"), clash,
                                kettle("M4"), kettle("M5")])
    stored = skus_stored(db)
    assert {"M0-W", "M1-W"} <= stored, "the chunk before the bad one stays"
    assert "M2-W" not in stored and "M3-W" not in stored, "the bad chunk adds nothing"
    again = import_catalog(db, [], [kettle("M0"), kettle("M1"), kettle("M4"), kettle("M5")])
    assert again.products_added + again.products_skipped == 4
    assert {"M4-W", "M5-W"} <= skus_stored(db)
