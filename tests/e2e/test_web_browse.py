"""Browsing the storefront in a real browser: the home page's categories and shelves, a
category, search in Chinese with facets, filters, sorts and "load more", an empty search,
the search box's suggestions, and a product page's SKU choice, price and live stock."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from browser import screenshots
from service_runtime.testing.processes import wait_until

# What htmx fetches (suggestions, the next page, another SKU's buy box) can take a while
# on a busy test machine: wait for it that long, no assertion is about time.
HTMX_WAIT = 30_000


def card_names(page: Page) -> list[str]:
    return page.get_by_test_id("results").locator(".name").all_inner_texts()


def card_prices(page: Page) -> list[int]:
    return [int(p) for p in page.get_by_test_id("results").get_by_test_id(
        "card-price").evaluate_all("els => els.map(e => e.dataset.amount)")]


def card_links(page: Page) -> list[str]:
    return page.get_by_test_id("results").get_by_test_id("product-card").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")


def test_the_home_page_leads_into_a_category(stack, page):
    page.goto("/")
    tree = page.get_by_test_id("home-categories")
    for name in ("家用电器", "厨房电器", "电热水壶", "手机数码"):
        expect(tree.get_by_role("link", name=name, exact=True)).to_be_visible()
    for shelf in ("featured", "shelf-newest", "shelf-rating"):
        assert page.get_by_test_id(shelf).locator("li").count() >= 5, shelf
    screenshots(page, "home")

    tree.get_by_role("link", name="电热水壶", exact=True).click()
    expect(page).to_have_url(re.compile(r"/categories/111$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("电热水壶")
    names = card_names(page)
    assert names and any("小米电热水壶" in name for name in names), names
    expect(page.get_by_role("navigation", name="全部分类").get_by_role(
        "link", name="厨房电器")).to_be_visible()
    screenshots(page, "category")

    page.goto("/categories")
    tree = page.get_by_test_id("category-tree")
    expect(tree.get_by_role("link", name="蓝牙耳机")).to_be_visible()


def test_searching_in_chinese_then_narrowing_and_sorting(stack, page):
    page.goto("/")
    page.get_by_role("searchbox", name="搜索商品").fill("电热水壶")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("“电热水壶”的搜索结果")
    names = card_names(page)
    assert names and all("电热水壶" in name for name in names), names
    screenshots(page, "search-results")

    brands = page.get_by_test_id("facet-brands").get_by_role("link")
    assert brands.count() >= 2, "several brands make kettles"
    brand = brands.nth(1).inner_text().split("(")[0].strip()
    brands.nth(1).click()
    page.wait_for_url(re.compile(r"brand="))
    expect(page.get_by_test_id("facet-brands").locator("a.active")).to_contain_text(brand)
    names = card_names(page)
    assert names and all(name.startswith(brand) for name in names), (brand, names)

    page.get_by_test_id("facet-brands").locator("a.active").click()  # the brand again: off
    page.wait_for_url(re.compile(r"^(?!.*brand=)"))
    page.get_by_test_id("sorts").get_by_role("link", name="价格从低到高").click()
    page.wait_for_url(re.compile(r"sort=price_asc"))
    prices = card_prices(page)
    assert len(prices) > 2 and prices == sorted(prices), prices
    page.get_by_test_id("sorts").get_by_role("link", name="价格从高到低").click()
    page.wait_for_url(re.compile(r"sort=price_desc"))
    prices = card_prices(page)
    assert prices == sorted(prices, reverse=True), prices

    ceiling = prices[len(prices) // 2]  # fen; the box takes yuan
    page.get_by_label("最高价（元）").fill(str(ceiling // 100))
    page.get_by_label("仅显示有货").check()
    page.get_by_role("button", name="应用筛选").click()
    page.wait_for_url(re.compile(r"price_max="))
    limited = card_prices(page)
    assert limited and all(p <= ceiling for p in limited) and len(limited) < len(prices)
    assert limited == sorted(limited, reverse=True), "the sort is kept with the filter"
    assert page.get_by_test_id("results").get_by_test_id("card-sold-out").count() == 0
    assert all("电热水壶" in name for name in card_names(page)), "the query is kept"


def test_load_more_appends_the_next_page(stack, page):
    page.goto("/categories/1")  # every home appliance: more than one page
    first = card_links(page)
    assert len(first) == 20
    page.get_by_test_id("load-more").click()
    expect(page.get_by_test_id("results").get_by_test_id("product-card")).not_to_have_count(
        20, timeout=HTMX_WAIT)
    both = card_links(page)
    assert len(both) > 20 and both[:20] == first, "appended below the first page"
    assert len(set(both)) == len(both), "no product twice"
    expect(page).to_have_url(re.compile(r"/categories/1$"))  # appended in place, by htmx


def test_a_search_that_finds_nothing_says_so_and_offers_something(stack, page):
    page.goto("/search?q=" + "量子咖啡机")
    empty = page.get_by_test_id("empty")
    expect(empty).to_contain_text("没有找到与“量子咖啡机”相关的商品")
    assert page.get_by_test_id("popular").locator("li").count() >= 3
    assert page.get_by_test_id("results").count() == 0


def test_the_search_box_suggests_while_typing(stack, page):
    page.goto("/")
    page.get_by_role("searchbox", name="搜索商品").press_sequentially("电热", delay=50)
    suggestions = page.locator("#suggestions").get_by_role("option")
    expect(suggestions.first).to_be_visible(timeout=HTMX_WAIT)
    expect(page.locator("#suggestions")).to_contain_text("电热水壶", timeout=HTMX_WAIT)
    page.locator("#suggestions").get_by_role("option", name=re.compile("电热水壶")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("电热水壶")


@pytest.fixture
def phone_case(stack, http, admin):
    """A product with several SKUs: the first sold out, the second with 3 left."""
    found = http.get(stack.url("/api/v1/products"),
                     params={"q": "手机壳", "limit": 20}).json()["items"]
    for item in found:
        product = http.get(stack.url(f"/api/v1/products/{item['id']}")).json()
        if len(product["skus"]) >= 3:
            break
    else:
        pytest.fail("no phone case with three colours in the demo catalog")
    first, second, third = (sku["sku"] for sku in product["skus"][:3])
    for sku, quantity in ((first, 0), (second, 3), (third, 50)):
        answer = http.put(stack.url(f"/api/v1/admin/skus/{sku}/stock"),
                          json={"quantity": quantity}, headers=admin)
        assert answer.status_code == 200, answer.text

    def published() -> dict | None:
        """What a visitor reads once the short public cache has caught up (a second)."""
        seen = http.get(stack.url(f"/api/v1/products/{product['id']}")).json()
        stocks = [sku["available"] for sku in seen["skus"][:3]]
        return seen if stocks == [0, 3, 50] else None

    return wait_until(published, 30, 0.2, "the new stock to be published")


def test_a_product_page_with_sku_choice_price_and_live_stock(stack, page, phone_case):
    skus = phone_case["skus"]
    page.goto(f"/products/{phone_case['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(phone_case["name"])
    expect(page.get_by_test_id("specs")).to_contain_text("品牌 Brand")
    buy = page.get_by_test_id("buy-box")
    options = buy.get_by_role("radio")
    expect(options).to_have_count(len(skus))
    # The first SKU with stock is chosen: the second, with 3 left.
    expect(options.nth(1)).to_be_checked()
    expect(page.get_by_test_id("stock")).to_have_text("仅剩 3 件")
    expect(page.get_by_test_id("price")).to_have_text(_money(skus[1]["price"]["amount"]))
    expect(page.get_by_test_id("add-to-cart")).to_be_enabled()
    expect(page.get_by_test_id("add-to-cart")).to_have_text("加入购物车")
    screenshots(page, "product")

    options.nth(2).check()
    expect(page.get_by_test_id("buy-box").get_by_role("radio").nth(2)).to_be_checked(
        timeout=HTMX_WAIT)
    expect(page.get_by_test_id("price")).to_have_text(_money(skus[2]["price"]["amount"]))
    expect(page.get_by_test_id("stock")).not_to_have_text("仅剩 3 件")
    expect(page.get_by_test_id("add-to-cart")).to_be_enabled()

    page.get_by_test_id("buy-box").get_by_role("radio").nth(0).check()
    expect(page.get_by_test_id("stock")).to_have_text("已售罄", timeout=HTMX_WAIT)
    expect(page.get_by_test_id("add-to-cart")).to_be_disabled()

    form = page.locator("form[action='/cart/items']")
    assert form.get_attribute("method") == "post"
    assert form.locator("input[name=next]").get_attribute("value").startswith("/products/")
    assert form.locator("input[name=quantity]").count() == 1

    page.get_by_role("link", name="English").click()
    expect(page.get_by_test_id("add-to-cart")).to_have_text("Add to cart")
    expect(page.get_by_role("heading", name="Reviews")).to_be_visible()
    expect(page.get_by_role("navigation", name="All categories")).to_contain_text("Phone Cases")


def test_a_product_page_without_javascript_still_chooses_a_sku(stack, browser, phone_case):
    context = browser.new_context(base_url=stack.gateway, locale="zh-CN",
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        sold_out = phone_case["skus"][0]["sku"]
        page.goto(f"/products/{phone_case['id']}?sku={sold_out}")
        expect(page.get_by_test_id("stock")).to_have_text("已售罄")
        expect(page.get_by_test_id("add-to-cart")).to_be_disabled()
    finally:
        context.close()


def _money(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"
