"""Browsing the demo catalog through the gateway, as a shop front would."""

from __future__ import annotations

KETTLE_SKU = "KETTLE-MI-1.7L-WHITE"


def skus_of(product: dict) -> set[str]:
    return {sku["sku"] for sku in product["skus"]}


def find_kettle(stack, http, query: str) -> dict:
    page = http.get(stack.url("/api/v1/products"), params={"q": query, "limit": 5}).json()
    assert page["items"], f"nothing found for {query}"
    return page


def test_search_finds_the_kettle_in_chinese_and_in_english(stack, http):
    for query in ("电热水壶", "kettle"):
        page = find_kettle(stack, http, query)
        top = page["items"][0]
        detail = http.get(stack.url(f"/api/v1/products/{top['id']}")).json()
        assert KETTLE_SKU in skus_of(detail), f"{query}: top hit is {top['name']}"
        assert page["facets"]["brands"], "facets come with the results"


def test_categories_filters_and_suggestions(stack, http):
    tree = http.get(stack.url("/api/v1/categories")).json()
    assert tree, "a category tree"
    cheap = http.get(stack.url("/api/v1/products"),
                     params={"price_max": 5000, "sort": "price_asc", "limit": 20}).json()
    prices = [item["price"]["amount"] for item in cheap["items"]]
    assert prices and all(price <= 5000 for price in prices)
    assert prices == sorted(prices)
    suggestions = http.get(stack.url("/api/v1/search/suggest"), params={"q": "电热"})
    assert suggestions.status_code == 200 and suggestions.json()
    bad = http.get(stack.url("/api/v1/products"), params={"limit": 1000})
    assert bad.status_code == 422
    assert bad.headers["Content-Type"] == "application/problem+json"
