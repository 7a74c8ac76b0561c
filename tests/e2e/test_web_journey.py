"""The whole journey with the mouse, as the issue tells it: a guest browses and searches in
Chinese, fills a cart, signs in and finds the cart merged, checks out, pays in the Alipay
sandbox and sees the order paid; the admin ships it from the console; the shopper follows
the tracking, confirms receipt and reviews what arrived."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from browser import new_page, screenshots, sign_in
from e2e_steps import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    KETTLE,
    PASSWORD,
    carrier_callback,
    sign_up,
    wait_for_sku,
    wait_for_status,
)

NOTIFIED_MS = 30_000


def kettle_product_id(stack, http: requests.Session) -> int:
    found = http.get(stack.url("/api/v1/products"), params={"q": "电热水壶", "limit": 50}).json()
    for item in found["items"]:
        product = http.get(stack.url(f"/api/v1/products/{item['id']}")).json()
        if any(sku["sku"] == KETTLE for sku in product["skus"]):
            return item["id"]
    raise AssertionError(f"no product with {KETTLE} among the search's results")


def test_a_shopper_buys_with_the_mouse_and_the_admin_ships(stack, http, browser, page):
    wait_for_sku(stack, http, KETTLE)
    kettle = kettle_product_id(stack, http)
    headers = sign_up(stack, "journey")
    email = http.get(stack.url("/api/v1/users/me"), headers=headers).json()["email"]

    # A guest: home, a search in Chinese, the product, into the cart.
    page.goto("/")
    page.get_by_label("搜索商品").fill("电热水壶")
    page.get_by_label("搜索商品").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    page.locator(f'a[href="/products/{kettle}"]').first.click()
    page.wait_for_url(f"**/products/{kettle}")
    buy_box = page.get_by_test_id("buy-box")
    if buy_box.locator(f'input[type=radio][value="{KETTLE}"]').count():
        buy_box.locator(f'input[type=radio][value="{KETTLE}"]').check()
        expect(buy_box.locator(f'input[type=radio][value="{KETTLE}"]')).to_be_checked()
    page.get_by_test_id("add-to-cart").click()
    page.goto("/cart")
    expect(page.locator("main")).to_contain_text(KETTLE)
    screenshots(page, "journey-guest-cart")

    # Signing in brings the guest's cart along.
    sign_in(page, email, PASSWORD)
    page.goto("/cart")
    expect(page.locator("main")).to_contain_text(KETTLE)
    page.get_by_role("link", name="去结算").click()

    # Checkout, paid at Alipay's sandbox cashier, then back at the shop.
    page.wait_for_url("**/checkout")
    page.get_by_role("radio", name="支付宝").check()
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url(re.compile(r"/api/v1/payments/sandbox/alipay/"))
    page.get_by_label("Outcome").select_option("success")
    page.get_by_role("button", name="Confirm").click()
    # The cashier sends the shopper back to the shop's result page.
    page.wait_for_url(re.compile(r"/orders/[^/]+/result\?payment_id="))
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible(timeout=NOTIFIED_MS)
    order_id = page.get_by_test_id("order-id").inner_text().strip()
    wait_for_status(stack, http, order_id, headers, "paid")
    screenshots(page, "journey-paid")

    # The admin ships it from the console.
    console = new_page(browser, stack.gateway)
    sign_in(console, ADMIN_EMAIL, ADMIN_PASSWORD)
    console.goto("/admin/shipments")
    card = console.get_by_test_id(f"shipment-{order_id}")
    expect(card).to_be_visible()
    card.get_by_label("快递公司").select_option("sf")
    card.get_by_label("运单号").fill("SF5550000001")
    card.get_by_role("button", name="发货").click()
    expect(console.get_by_text(f"订单 {order_id} 已发货")).to_be_visible()
    console.context.close()
    wait_for_status(stack, http, order_id, headers, "shipped")
    assert carrier_callback(stack, http, "sf", "sandbox-secret-sf", "SF5550000001",
                            "in_transit", "delivered").status_code == 200
    wait_for_status(stack, http, order_id, headers, "delivered")

    # The shopper follows the parcel, confirms receipt and reviews the kettle.
    page.goto("/orders")
    page.get_by_role("link", name="查看详情").first.click()
    page.wait_for_url(f"**/orders/{order_id}")
    expect(page.get_by_test_id("tracking-number")).to_have_text("SF5550000001")
    screenshots(page, "journey-tracking")
    page.get_by_role("button", name="确认收货").click()
    expect(page.get_by_test_id("order-status")).to_have_text("已完成")
    review = page.get_by_test_id(f"review-{kettle}")
    review.get_by_label("5 星").check()
    review.get_by_label("评价内容").fill("烧水快，很安静")
    review.get_by_role("button", name="发表评价").click()
    expect(page.get_by_text("评价已发表，谢谢！")).to_be_visible()
    reviews = http.get(stack.url(f"/api/v1/products/{kettle}/reviews")).json()["items"]
    assert any(r["text"] == "烧水快，很安静" and r["rating"] == 5 for r in reviews)
