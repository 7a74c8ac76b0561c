"""Browsing and searching the demo catalog through the HTTP API, on a real database."""

import itertools
from datetime import datetime

import pytest
from sqlalchemy import func, select

from catalog import demo
from catalog.models import Category, Product, Sku
from catalog.products import load_catalog
from event_contracts import REGISTRY
from service_runtime.testing.plugin import outbox_events

ORDER_DEMO_PRICES = {
    "KETTLE-MI-1.7L-WHITE": 9900, "MUG-CERAMIC-350ML": 2500, "RICE-COOKER-3L": 29900,
    "TEA-LONGJING-250G": 16800, "PHONE-CASE-CLEAR": 3900, "EARBUDS-BT-PRO": 49900,
}


@pytest.fixture
def demo_db(demo_app):
    return demo_app.extensions["db"]


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()


def products(client, **query):
    response = client.get("/api/v1/products", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def all_pages(client, **query):
    """Every item of a query, following next_cursor; also how many pages it took."""
    items, pages, cursor = [], 0, None
    while True:
        page = products(client, **query, **({"cursor": cursor} if cursor else {}))
        items.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 100


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_demo_catalog_is_large_deep_bilingual_and_has_the_order_services_prices(demo_db):
    assert count(demo_db, Product) >= 200
    with demo_db.read() as session:
        levels = set(session.scalars(select(Category.level)))
        prices = dict(session.execute(
            select(Sku.sku, Sku.price_amount).where(Sku.sku.in_(ORDER_DEMO_PRICES))).all())
        brands = set(session.scalars(select(Product.brand)))
        zero = session.scalar(select(func.count()).select_from(Sku).where(Sku.on_hand == 0))
        spread = session.execute(
            select(func.min(Product.price_amount), func.max(Product.price_amount))).one()
        kettle = session.scalar(select(Product).where(
            Product.name == "小米电热水壶 Mi Electric Kettle 1.7L"))
    assert levels == {1, 2, 3}
    assert prices == ORDER_DEMO_PRICES
    assert len(brands) >= 10
    assert zero > 0, "some SKUs are sold out"
    assert spread[0] < 5000 and spread[1] > 300000
    assert kettle is not None and kettle.category_id == 111


def test_loading_the_demo_again_adds_nothing_and_each_product_was_announced_once(demo_db):
    before = count(demo_db, Product)
    assert load_catalog(demo_db, demo.categories(), demo.products()) == (0, 0)
    assert count(demo_db, Product) == before
    events = outbox_events(demo_db, "ProductUpdated")
    assert len(events) == before
    kettle = next(e for e in events if e["data"]["skus"][0]["sku"] == "KETTLE-MI-1.7L-WHITE")
    REGISTRY.validate_outgoing("ProductUpdated", 1, kettle["data"])
    assert kettle["data"]["skus"][0]["price"] == {"amount": 9900, "currency": "CNY"}


def test_the_category_tree_has_three_levels(client, demo_db):
    tree = client.get("/api/v1/categories").json["items"]
    appliances = next(c for c in tree if c["name"] == "家用电器")
    kitchen = next(c for c in appliances["children"] if c["name"] == "厨房电器")
    kettles = next(c for c in kitchen["children"] if c["name"] == "电热水壶")
    assert (appliances["level"], kitchen["level"], kettles["level"]) == (1, 2, 3)
    assert kettles["name_en"] == "Electric Kettles" and kettles["children"] == []


@pytest.mark.parametrize("q", ["电热水壶", "kettle", "Kettle", "KETT", "水壶", "Mi 电热水壶",
                               "小米 kettle"])
def test_the_kettle_is_found_in_chinese_and_english(client, demo_db, q):
    page = products(client, q=q, limit=5)
    assert page["items"][0]["name"] == "小米电热水壶 Mi Electric Kettle 1.7L"
    assert all(item["category_id"] == 111 for item in page["items"])


def test_search_covers_brand_and_description_and_nothing_matches_nonsense(client, demo_db):
    assert {i["brand"] for i in products(client, q="华为")["items"]} == {"华为"}
    longjing = products(client, q="龙井")["items"]
    assert [i["name"] for i in longjing] == [
        "狮峰西湖龙井茶 Shifeng West Lake Longjing Green Tea 250g"]
    assert products(client, q="longjing")["items"] == longjing
    # "no-reason returns" appears only in descriptions
    assert len(all_pages(client, q="no-reason returns", limit=100)[0]) > 100
    assert products(client, q="zzqx")["items"] == []
    assert products(client, q="%_")["items"] == []


def test_relevance_ranks_more_matched_tokens_first(client, demo_db):
    # "热水" alone would also match water heaters; the whole word puts kettles first
    items = products(client, q="电热水壶", limit=100)["items"]
    assert items and all(i["category_id"] == 111 for i in items)
    mi_first = products(client, q="小米 电热水壶", limit=3)["items"]
    assert all(i["brand"] == "小米" for i in mi_first)


def test_category_filter_includes_the_whole_subtree(client, demo_db):
    top = all_pages(client, category=1, limit=100)[0]  # 家用电器
    assert {i["category_id"] for i in top} == {111, 112, 113, 114, 121, 122, 123}
    middle = all_pages(client, category=11, limit=100)[0]
    assert {i["category_id"] for i in middle} == {111, 112, 113, 114}
    assert {i["category_id"] for i in products(client, category=111)["items"]} == {111}
    assert products(client, category=999999)["items"] == []


def test_brand_price_and_stock_filters(client, demo_db):
    mi = all_pages(client, brand="小米", limit=100)[0]
    assert mi and {i["brand"] for i in mi} == {"小米"}
    cheap = all_pages(client, price_min=5000, price_max=9900, limit=100)[0]
    assert cheap and all(5000 <= i["price"]["amount"] <= 9900 for i in cheap)
    in_stock, _ = all_pages(client, in_stock="true", limit=100)
    sold_out, _ = all_pages(client, in_stock="false", limit=100)
    assert all(i["in_stock"] for i in in_stock)
    assert sold_out and not any(i["in_stock"] for i in sold_out)
    assert len(in_stock) + len(sold_out) == count(demo_db, Product)
    for item in sold_out[:3]:
        detail = client.get(f"/api/v1/products/{item['id']}").json
        assert all(sku["available"] == 0 for sku in detail["skus"])


def test_facets_count_every_match_not_just_the_page(client, demo_db):
    page = products(client, category=11, limit=1)
    everything = all_pages(client, category=11, limit=100)[0]
    facets = page["facets"]
    by_brand = {}
    for item in everything:
        by_brand[item["brand"]] = by_brand.get(item["brand"], 0) + 1
    assert {f["brand"]: f["count"] for f in facets["brands"]} == by_brand
    assert sum(f["count"] for f in facets["categories"]) == len(everything)
    assert {f["id"] for f in facets["categories"]} == {111, 112, 113, 114}
    assert sum(b["count"] for b in facets["price_buckets"]) == len(everything)
    for bucket in facets["price_buckets"]:
        inside = [i for i in everything if i["price"]["amount"] >= bucket["min"]
                  and (bucket["max"] is None or i["price"]["amount"] < bucket["max"])]
        assert len(inside) == bucket["count"]


def test_the_brand_facet_ignores_the_brand_filter_and_the_others_do_not(client, demo_db):
    facets = products(client, q="kettle", brand="小米")["facets"]
    assert len(facets["brands"]) > 1, "other brands stay selectable"
    assert facets["categories"] == [{"id": 111, "name": "电热水壶", "count": 3}]


SORT_KEYS = {
    "price_asc": lambda i: i["price"]["amount"],
    "price_desc": lambda i: -i["price"]["amount"],
    "sales": lambda i: -i["sales_count"],
    "newest": lambda i: -datetime.fromisoformat(i["created_at"]).timestamp(),
    "rating": lambda i: -(i["rating"]["average"] or 0),
}


@pytest.mark.parametrize("sort", ["relevance", *SORT_KEYS])
def test_every_sort_pages_through_every_product_exactly_once(client, demo_db, sort):
    items, pages = all_pages(client, sort=sort, limit=7)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) == count(demo_db, Product)
    assert pages == -(-len(ids) // 7)
    key = SORT_KEYS.get(sort, SORT_KEYS["sales"])  # relevance without q ranks by sales
    assert [key(i) for i in items] == sorted(key(i) for i in items)
    # ties are broken by id, so the order is total and stable
    for a, b in itertools.pairwise(items):
        if key(a) == key(b):
            assert a["id"] < b["id"]


@pytest.mark.parametrize("sort", ["relevance", "price_desc", "newest"])
def test_paging_a_filtered_search_returns_each_match_once(client, demo_db, sort):
    everything = products(client, q="电器 appliances", sort=sort, limit=100)
    assert everything["next_cursor"] is not None or len(everything["items"]) > 20
    paged, _ = all_pages(client, q="电器 appliances", sort=sort, limit=9)
    whole, _ = all_pages(client, q="电器 appliances", sort=sort, limit=100)
    assert [i["id"] for i in paged] == [i["id"] for i in whole]
    assert len({i["id"] for i in paged}) == len(paged) > 20


def test_product_detail_has_skus_with_live_stock_specs_images_and_rating(client, demo_db):
    [kettle] = products(client, q="Mi Electric Kettle 1.7L", limit=1)["items"]
    detail = client.get(f"/api/v1/products/{kettle['id']}").json
    assert detail["name"] == "小米电热水壶 Mi Electric Kettle 1.7L"
    assert [c["name"] for c in detail["category_path"]] == ["家用电器", "厨房电器", "电热水壶"]
    assert detail["skus"] == [{
        "sku": "KETTLE-MI-1.7L-WHITE", "attributes": {"colour": "白色 White", "capacity": "1.7L"},
        "price": {"amount": 9900, "currency": "CNY"}, "available": demo.FEATURED_STOCK}]
    assert "on_hand" not in detail["skus"][0] and "reserved" not in detail["skus"][0]
    assert len(detail["images"]) == 3 and detail["specs"]["型号 Model"] == "KETTLE-MI-1.7L"
    assert detail["rating"]["count"] > 0 and 1 <= detail["rating"]["average"] <= 5
    with demo_db.transaction() as session:
        session.get(Sku, "KETTLE-MI-1.7L-WHITE").reserved = 120
    try:
        again = client.get(f"/api/v1/products/{kettle['id']}").json
        assert again["skus"][0]["available"] == demo.FEATURED_STOCK - 120
    finally:
        with demo_db.transaction() as session:
            session.get(Sku, "KETTLE-MI-1.7L-WHITE").reserved = 0


def test_unknown_products_are_404_problems(client, demo_db):
    for path in ("/api/v1/products/999999", "/api/v1/products/99999999999999999999",
                 "/api/v1/products/abc"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"


def test_suggest_completes_brands_categories_and_products_in_both_languages(client, demo_db):
    items = client.get("/api/v1/search/suggest", query_string={"q": "小米"}).json["items"]
    assert items[0] == {"text": "小米", "kind": "brand", "id": None}
    assert 1 < len(items) <= 10
    assert all("小米" in i["text"] for i in items)
    typed = client.get("/api/v1/search/suggest", query_string={"q": "kett"}).json["items"]
    assert typed and all("Kettle" in i["text"] for i in typed if i["kind"] == "product")
    category = client.get("/api/v1/search/suggest", query_string={"q": "水壶"}).json["items"]
    assert {"text": "电热水壶", "kind": "category", "id": 111} in category
    assert client.get("/api/v1/search/suggest", query_string={"q": "%"}).json["items"] == []
    assert len(client.get("/api/v1/search/suggest",
                          query_string={"q": "e", "limit": 3}).json["items"]) <= 3


@pytest.mark.parametrize(("query", "field"), [
    ({"limit": 101}, "limit"),
    ({"limit": 0}, "limit"),
    ({"sort": "cheapest"}, "sort"),
    ({"price_min": -1}, "price_min"),
    ({"price_min": 500, "price_max": 100}, "price_min"),
    ({"q": "x" * 101}, "q"),
    ({"cursor": "c" * 301}, "cursor"),
    ({"category": "kitchen"}, "category"),
    ({"category": 2**40}, "category"),
    ({"in_stock": "perhaps"}, "in_stock"),
])
def test_bad_list_queries_are_422_problems_naming_the_field(client, demo_db, query, field):
    response = client.get("/api/v1/products", query_string=query)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]


def test_a_tampered_or_foreign_cursor_is_a_422_problem_naming_the_cursor(client, demo_db):
    cursor = products(client, sort="price_asc", limit=2)["next_cursor"]
    for query in ({"sort": "sales", "cursor": cursor}, {"cursor": "garbage"},
                  {"cursor": "not/base64!"},
                  {"sort": "newest", "cursor": products(client, sort="price_asc")["next_cursor"]}):
        response = client.get("/api/v1/products", query_string=query)
        assert response.status_code == 422
        assert response.json["type"] == "urn:shop:problem:validation-error"
        assert [e["field"] for e in response.json["errors"]] == ["cursor"]


def test_suggest_needs_a_short_query(client, demo_db):
    assert client.get("/api/v1/search/suggest").status_code == 422
    assert client.get("/api/v1/search/suggest", query_string={"q": "x" * 51}).status_code == 422
    assert client.get("/api/v1/search/suggest",
                      query_string={"q": "x", "limit": 11}).status_code == 422


def test_openapi_describes_the_public_and_admin_routes(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/categories", "/api/v1/products", "/api/v1/products/{product_id}",
                 "/api/v1/search/suggest", "/api/v1/admin/products",
                 "/api/v1/admin/products/{product_id}", "/api/v1/admin/skus/{sku}/stock"):
        assert path in paths
