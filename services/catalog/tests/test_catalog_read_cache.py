"""Facets and rankings kept per process: reused while the catalog is unchanged, recounted
once it changed and the answer is older than its freshness."""


from catalog.browse import ProductQuery, search_products
from catalog.products import load_catalog, set_stock, update_product
from catalog.read_cache import CatalogCache

CATEGORIES = [{"id": 1, "parent_id": None, "name": "茶叶", "name_en": "Tea", "level": 1,
               "position": 0}]
TEA = {"name": "龙井 Longjing", "brand": "狮峰", "category_id": 1,
       "skus": [{"sku": "LJ-1", "price": {"amount": 100, "currency": "CNY"}}]}


def test_an_answer_is_reused_until_the_catalog_changes_and_it_is_stale(db):
    load_catalog(db, CATEGORIES, [TEA])
    now = [100.0]
    cache = CatalogCache(fresh_for=0.2, clock=lambda: now[0])
    computed = []

    def get():
        with db.read() as session:
            return cache.get(db, session, ("k",), lambda: computed.append(1) or len(computed))

    assert get() == 1
    assert get() == 1, "unchanged catalog: kept"
    now[0] += 0.25
    assert get() == 1, "stale but the catalog's version is the same: kept"
    set_stock(db, "LJ-1", 5)
    assert get() == 1, "changed, but the answer is younger than fresh_for"
    now[0] += 0.25
    assert get() == 2, "changed and stale: counted again"
    with db.read() as session:
        assert cache.get(db, session, ("other",), lambda: "x") == "x", "keys are apart"


def test_a_full_cache_starts_over(db):
    load_catalog(db, CATEGORIES, [TEA])
    cache = CatalogCache(size=2)
    with db.read() as session:
        for key in ("a", "b", "c"):
            cache.get(db, session, (key,), lambda key=key: key)
        assert cache.get(db, session, ("a",), lambda: "again") == "again"
        assert cache.get(db, session, ("c",), lambda: "again") == "c"


def test_a_kept_search_ranking_still_shows_live_stock_and_prices(db):
    load_catalog(db, CATEGORIES, [TEA])
    query = ProductQuery(q="龙井 longjing")
    [before] = search_products(db, query).items
    assert not before.in_stock
    set_stock(db, "LJ-1", 5)
    update_product(db, before.id, {"skus": [{"sku": "LJ-1",
                                             "price": {"amount": 90, "currency": "CNY"}}]})
    [after] = search_products(db, query).items
    assert after.in_stock and after.price_amount == 90
