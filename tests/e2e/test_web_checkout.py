"""Checkout and payment in a real browser: the order form, paying from the wallet and at a
provider's sandbox cashier (and back), a failed payment paid again another way, an error
that keeps the shopper's choices, and a wallet top-up.

Items go into the cart through the public API (the cart pages are another area's); the
browser then signs in through the storefront's form.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from browser import screenshots, sign_in
from e2e_steps import KETTLE, MUG, PASSWORD, sign_up, wait_for_sku, wait_for_status, wallet_balance
from service_runtime.testing.processes import wait_until

# A provider's notification reaches the shop asynchronously (the sandbox's worker sends it).
NOTIFIED_MS = 30_000


@pytest.fixture(scope="module", autouse=True)
def cart_knows_the_skus(stack):
    with requests.Session() as http:
        for sku in (MUG, KETTLE):
            wait_for_sku(stack, http, sku)


def shopper_with_cart(stack, http: requests.Session, page: Page, name: str,
                      lines: dict[str, int]) -> dict[str, str]:
    """A new customer (default address, funded wallet) whose cart holds ``lines``, signed
    in in the browser."""
    headers = sign_up(stack, name)
    for sku, quantity in lines.items():
        added = http.post(stack.url("/api/v1/cart/items"), json={"sku": sku, "quantity": quantity},
                          headers=headers)
        assert added.status_code in (200, 201), added.text
    email = http.get(stack.url("/api/v1/users/me"), headers=headers).json()["email"]
    sign_in(page, email, PASSWORD)
    return headers


def order_id_on(page: Page) -> str:
    return page.get_by_test_id("order-id").inner_text().strip()


def pay_at_sandbox(page: Page, outcome: str,
                   back: str = r"/orders/[^/]+/result\?payment_id=") -> None:
    """At the provider's cashier: choose the outcome and confirm; the cashier sends the
    shopper back to the shop (the payment's return_url: ``back``)."""
    expect(page.get_by_role("button", name="Confirm")).to_be_visible()
    page.get_by_label("Outcome").select_option(outcome)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(back))


def test_checkout_paying_with_the_wallet(stack, http, page):
    headers = shopper_with_cart(stack, http, page, "wallet-payer", {MUG: 2})
    before = wallet_balance(stack, http, headers)

    page.goto("/checkout")
    items = page.get_by_test_id("checkout-items")
    expect(items).to_contain_text("马克杯")
    expect(items.get_by_test_id("line-quantity")).to_have_text("2")
    expect(page.get_by_role("radio", name=re.compile("韩梅梅"))).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("余额"))).to_be_checked()
    expect(page.get_by_role("link", name="管理收货地址")).to_have_attribute(
        "href", "/account/addresses")
    screenshots(page, "checkout")
    page.get_by_role("radio", name="标准快递").check()
    page.get_by_role("button", name="提交订单").click()

    page.wait_for_url(re.compile(r"/orders/[^/]+/result$"))
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()
    screenshots(page, "checkout-result-paid")
    order = wait_for_status(stack, http, order_id_on(page), headers, "paid")
    assert order["payment"]["method"] == "balance"
    assert order["delivery_method"] == "standard"
    assert wallet_balance(stack, http, headers) == before - order["total"]["amount"]


def test_checkout_paying_with_alipay_at_the_sandbox_and_back(stack, http, page):
    headers = shopper_with_cart(stack, http, page, "alipay-payer", {KETTLE: 1})

    page.goto("/checkout")
    page.get_by_role("radio", name="支付宝").check()
    page.get_by_role("radio", name="特快专递").check()
    page.get_by_role("button", name="提交订单").click()

    page.wait_for_url(re.compile(r"/api/v1/payments/sandbox/alipay/"))
    expect(page.get_by_text("¥99.00")).to_be_visible()
    screenshots(page, "checkout-sandbox-alipay")
    pay_at_sandbox(page, "success")

    expect(page.get_by_role("heading", name="支付成功")).to_be_visible(timeout=NOTIFIED_MS)
    order = wait_for_status(stack, http, order_id_on(page), headers, "paid")
    assert order["payment"]["method"] == "alipay"
    assert order["delivery_method"] == "express"

    page.reload()  # the result stays the same on a manual reload
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()
    page.goto("/checkout")
    expect(page.get_by_test_id("in-flight")).to_have_count(0), "seen, no longer pointed at"


def test_a_failed_payment_is_shown_and_paid_again_another_way(stack, http, page):
    headers = shopper_with_cart(stack, http, page, "declined-payer", {MUG: 1})

    page.goto("/checkout")
    page.get_by_role("radio", name="微信支付").check()
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url(re.compile(r"/api/v1/payments/sandbox/wechat/"))
    pay_at_sandbox(page, "failure")

    expect(page.get_by_role("heading", name="支付失败")).to_be_visible(timeout=NOTIFIED_MS)
    screenshots(page, "checkout-result-failed")
    order_id = order_id_on(page)
    assert http.get(stack.url(f"/api/v1/orders/{order_id}"),
                    headers=headers).json()["status"] == "awaiting_payment"

    page.get_by_role("link", name="重新支付").click()
    expect(page.get_by_test_id("last-failed")).to_be_visible()
    screenshots(page, "checkout-pay-again")
    page.get_by_role("radio", name=re.compile("余额")).check()
    page.get_by_role("button", name="确认支付").click()
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()
    order = wait_for_status(stack, http, order_id, headers, "paid")
    assert order["payment"]["method"] == "balance"


def test_checkout_that_cannot_proceed_says_why_and_keeps_the_choices(stack, http, page):
    headers = shopper_with_cart(stack, http, page, "emptied-cart", {MUG: 1})

    page.goto("/checkout")
    page.get_by_role("radio", name="门店自提").check()
    page.get_by_role("radio", name="货到付款").check()
    # Meanwhile, in another tab, the cart is emptied.
    removed = http.delete(stack.url(f"/api/v1/cart/items/{MUG}"), headers=headers)
    assert removed.status_code in (200, 204), removed.text
    page.get_by_role("button", name="提交订单").click()

    alert = page.get_by_test_id("checkout-items").get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("data-problem", re.compile("empty-cart$"))
    expect(page.get_by_role("radio", name="门店自提")).to_be_checked()
    expect(page.get_by_role("radio", name="货到付款")).to_be_checked()
    screenshots(page, "checkout-error")
    orders = http.get(stack.url("/api/v1/orders"), headers=headers).json()["items"]
    assert orders == [], "no order was placed"


def test_checkout_refuses_a_quantity_beyond_the_stock(stack, http, page, admin):
    headers = shopper_with_cart(stack, http, page, "short-stock", {KETTLE: 3})
    # Other shoppers' open orders may hold some kettles: leave 2 available beyond them.
    lowered = http.put(stack.url(f"/api/v1/admin/skus/{KETTLE}/stock"), json={"quantity": 2},
                       headers=admin)
    if lowered.status_code == 409:
        lowered = http.put(stack.url(f"/api/v1/admin/skus/{KETTLE}/stock"),
                           json={"quantity": lowered.json()["reserved"] + 2}, headers=admin)
    assert lowered.status_code == 200, lowered.text
    try:
        def cart_knows() -> bool:
            cart = http.get(stack.url("/api/v1/cart"), headers=headers).json()
            return not cart["lines"][0]["in_stock"]

        wait_until(cart_knows, 60, 0.3, "the cart to learn the lower stock")
        page.goto("/checkout")
        page.get_by_role("radio", name="特快专递").check()
        page.get_by_role("button", name="提交订单").click()
        line = page.locator(f"[data-sku='{KETTLE}']")
        expect(line.get_by_role("alert")).to_contain_text("库存不足")
        expect(page.get_by_role("radio", name="特快专递")).to_be_checked()
        assert http.get(stack.url("/api/v1/orders"), headers=headers).json()["items"] == []
    finally:
        http.put(stack.url(f"/api/v1/admin/skus/{KETTLE}/stock"), json={"quantity": 500},
                 headers=admin)


def test_a_wallet_top_up_raises_the_balance(stack, http, page):
    headers = shopper_with_cart(stack, http, page, "top-up", {})
    before = wallet_balance(stack, http, headers)

    page.goto("/account/wallet")
    expect(page.get_by_test_id("wallet-balance")).to_have_text("¥1,000.00")
    page.get_by_role("radio", name="充 ¥500.00 得 ¥520.00").check()
    page.get_by_role("radio", name="支付宝").check()
    page.get_by_role("button", name="去充值").click()
    page.wait_for_url(re.compile(r"/api/v1/payments/sandbox/alipay/"))
    pay_at_sandbox(page, "success", back=r"/account/wallet\?payment_id=")

    expect(page.get_by_test_id("top-up-state")).to_contain_text("充值成功",
                                                                timeout=NOTIFIED_MS)
    expect(page.get_by_test_id("wallet-balance")).to_have_text("¥1,520.00")
    expect(page.get_by_test_id("ledger")).to_contain_text("充值")
    screenshots(page, "wallet")
    assert wallet_balance(stack, http, headers) == before + 52_000
