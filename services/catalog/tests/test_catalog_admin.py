"""Managing products and stock: admins only, strict bodies, a ProductUpdated per change."""

import pytest
from sqlalchemy import func, select

from catalog.models import Category, Product
from catalog.products import load_catalog
from event_contracts import REGISTRY
from service_runtime.testing.plugin import outbox_events

CATEGORIES = [
    {"id": 1, "parent_id": None, "name": "家用电器", "name_en": "Home Appliances", "level": 1,
     "position": 0},
    {"id": 11, "parent_id": 1, "name": "厨房电器", "name_en": "Kitchen Appliances", "level": 2,
     "position": 0},
    {"id": 111, "parent_id": 11, "name": "电热水壶", "name_en": "Electric Kettles", "level": 3,
     "position": 0},
    {"id": 112, "parent_id": 11, "name": "电饭煲", "name_en": "Rice Cookers", "level": 3,
     "position": 1},
]

NEW = {
    "name": "美的电热水壶 Midea Electric Kettle 1.5L",
    "brand": "美的",
    "description": "304不锈钢 stainless steel",
    "category_id": 111,
    "images": ["https://img.example/k/1.jpg"],
    "specs": {"容量 Capacity": "1.5L"},
    "skus": [
        {"sku": "MD-K-15-WHITE", "attributes": {"colour": "白色 White"},
         "price": {"amount": 7900, "currency": "CNY"}, "stock": 12},
        {"sku": "MD-K-15-BLACK", "attributes": {"colour": "黑色 Black"},
         "price": {"amount": 8900, "currency": "CNY"}},
    ],
}


@pytest.fixture
def categories(db):
    load_catalog(db, CATEGORIES, [])


def create(client, headers, body=NEW):
    response = client.post("/api/v1/admin/products", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def count_products(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Product))


def last_update(db) -> dict:
    event = outbox_events(db, "ProductUpdated")[-1]
    REGISTRY.validate_outgoing("ProductUpdated", 1, event["data"])
    return event


def test_creating_a_product_stores_it_makes_it_searchable_and_announces_it(
        client, db, categories, admin_headers):
    product = create(client, admin_headers)
    assert product["price"] == {"amount": 7900, "currency": "CNY"}
    assert [(s["sku"], s["on_hand"], s["reserved"], s["available"]) for s in product["skus"]] == [
        ("MD-K-15-WHITE", 12, 0, 12), ("MD-K-15-BLACK", 0, 0, 0)]
    assert [c["id"] for c in product["category_path"]] == [1, 11, 111]
    event = last_update(db)
    assert event["key"] == str(product["id"])
    assert event["data"]["skus"][0] == {
        "sku": "MD-K-15-WHITE", "price": {"amount": 7900, "currency": "CNY"},
        "attributes": {"colour": "白色 White"}, "available": 12}
    for q in ("电热水壶", "kettle", "美的", "stainless", "不锈钢", "厨房电器"):
        found = client.get("/api/v1/products", query_string={"q": q}).json["items"]
        assert [p["id"] for p in found] == [product["id"]], q


def test_patch_changes_only_what_is_given_and_reindexes(client, db, categories, admin_headers):
    product = create(client, admin_headers)
    response = client.patch(f"/api/v1/admin/products/{product['id']}", headers=admin_headers,
                            json={"name": "美的电饭煲 Midea Rice Cooker", "category_id": 112,
                                  "skus": [{"sku": "MD-K-15-WHITE",
                                            "price": {"amount": 6900, "currency": "CNY"}},
                                           {"sku": "MD-K-15-RED",
                                            "price": {"amount": 9900, "currency": "CNY"},
                                            "attributes": {"colour": "红色 Red"}}]})
    assert response.status_code == 200, response.json
    changed = response.json
    assert changed["brand"] == "美的" and changed["description"] == NEW["description"]
    assert changed["price"]["amount"] == 6900
    assert [(s["sku"], s["price"]["amount"], s["on_hand"]) for s in changed["skus"]] == [
        ("MD-K-15-WHITE", 6900, 12), ("MD-K-15-BLACK", 8900, 0), ("MD-K-15-RED", 9900, 0)]
    assert client.get("/api/v1/products", query_string={"q": "kettle"}).json["items"] == []
    assert len(client.get("/api/v1/products", query_string={"q": "电饭煲"}).json["items"]) == 1
    event = last_update(db)
    assert event["data"]["category_id"] == 112
    assert len(outbox_events(db, "ProductUpdated")) == 2


def test_setting_stock_is_announced_and_cannot_go_below_reserved(
        client, db, categories, admin_headers):
    product = create(client, admin_headers)
    response = client.put("/api/v1/admin/skus/MD-K-15-BLACK/stock", json={"quantity": 30},
                          headers=admin_headers)
    assert response.status_code == 200, response.json
    assert (response.json["on_hand"], response.json["available"]) == (30, 30)
    assert last_update(db)["data"]["skus"][1]["available"] == 30
    from catalog.inventory import reserve_order
    with db.transaction() as session:
        assert reserve_order(session, "ord_1", [("MD-K-15-BLACK", 20)]) == "reserved"
    below = client.put("/api/v1/admin/skus/MD-K-15-BLACK/stock", json={"quantity": 19},
                       headers=admin_headers)
    assert below.status_code == 409
    assert below.json["type"] == "urn:shop:problem:stock-below-reserved"
    detail = client.get(f"/api/v1/products/{product['id']}").json
    assert detail["skus"][1]["available"] == 10
    managed = client.get(f"/api/v1/admin/products/{product['id']}", headers=admin_headers)
    assert managed.status_code == 200, managed.json
    assert [(s["on_hand"], s["reserved"], s["available"]) for s in managed.json["skus"]][1] \
        == (30, 20, 10)
    assert client.get("/api/v1/admin/products/424242", headers=admin_headers).status_code \
        == 404
    assert client.put("/api/v1/admin/skus/NOPE/stock", json={"quantity": 1},
                      headers=admin_headers).status_code == 404


def test_customers_get_403_and_anonymous_callers_401_and_nothing_changes(
        client, db, categories, admin_headers, customer_headers):
    product = create(client, admin_headers)
    before = len(outbox_events(db))
    calls = [
        ("post", "/api/v1/admin/products", NEW),
        ("patch", f"/api/v1/admin/products/{product['id']}", {"name": "hacked"}),
        ("get", f"/api/v1/admin/products/{product['id']}", None),
        ("put", "/api/v1/admin/skus/MD-K-15-WHITE/stock", {"quantity": 0}),
    ]
    for method, path, body in calls:
        anonymous = getattr(client, method)(path, json=body)
        assert anonymous.status_code == 401
        assert anonymous.content_type == "application/problem+json"
        customer = getattr(client, method)(path, json=body, headers=customer_headers)
        assert customer.status_code == 403
        assert customer.json["type"] == "urn:shop:problem:forbidden"
        forged = getattr(client, method)(path, json=body,
                                         headers={"Authorization": "Bearer not.a.token"})
        assert forged.status_code == 401
    assert len(outbox_events(db)) == before
    assert client.get(f"/api/v1/products/{product['id']}").json["name"] == NEW["name"]


@pytest.mark.parametrize(("body", "field"), [
    ({**NEW, "id": 5}, "id"),
    ({**NEW, "sales_count": 10**6}, "sales_count"),
    ({**NEW, "skus": [{**NEW["skus"][0], "reserved": 0}]}, "skus.0.reserved"),
    ({**NEW, "skus": []}, "skus"),
    ({**NEW, "skus": [{**NEW["skus"][0], "price": {"amount": 99.5, "currency": "CNY"}}]},
     "skus.0.price.amount"),
    ({**NEW, "skus": [{**NEW["skus"][0], "sku": "bad code!"}]}, "skus.0.sku"),
    ({**NEW, "name": ""}, "name"),
    ({**NEW, "name": "x" * 201}, "name"),
    ({**NEW, "images": ["javascript:alert(1)"]}, "images.0"),
    ({**NEW, "specs": {f"k{i}": "v" for i in range(51)}}, "specs"),
    ({k: v for k, v in NEW.items() if k != "category_id"}, "category_id"),
])
def test_unknown_or_invalid_fields_are_refused(client, db, categories, admin_headers, body,
                                               field):
    response = client.post("/api/v1/admin/products", json=body, headers=admin_headers)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]
    assert count_products(db) == 0
    assert outbox_events(db) == []


def test_patch_refuses_unknown_fields_and_stock(client, db, categories, admin_headers):
    product = create(client, admin_headers)
    for body in ({"rating_avg_x100": 500}, {"skus": [{"sku": "MD-K-15-WHITE", "stock": 999}]},
                 {"id": 77}):
        response = client.patch(f"/api/v1/admin/products/{product['id']}", json=body,
                                headers=admin_headers)
        assert response.status_code == 422, body
    assert len(outbox_events(db, "ProductUpdated")) == 1


def test_business_rule_errors(client, db, categories, admin_headers):
    create(client, admin_headers)
    taken = client.post("/api/v1/admin/products", json=NEW, headers=admin_headers)
    assert taken.status_code == 409 and taken.json["type"] == "urn:shop:problem:sku-taken"
    assert taken.json["skus"] == ["MD-K-15-BLACK", "MD-K-15-WHITE"]
    nowhere = client.post("/api/v1/admin/products", json={**NEW, "category_id": 999},
                          headers=admin_headers)
    assert nowhere.status_code == 422
    assert nowhere.json["type"] == "urn:shop:problem:unknown-category"
    twice = {**NEW, "skus": [NEW["skus"][0], NEW["skus"][0]]}
    assert client.post("/api/v1/admin/products", json=twice,
                       headers=admin_headers).status_code == 422
    new_without_price = client.patch("/api/v1/admin/products/1", headers=admin_headers,
                                     json={"skus": [{"sku": "MD-K-15-NEW"}]})
    assert new_without_price.status_code == 422
    missing = client.patch("/api/v1/admin/products/424242", json={"name": "x"},
                           headers=admin_headers)
    assert missing.status_code == 404
    assert count_products(db) == 1
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Category)) == 4
