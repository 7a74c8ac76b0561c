"""Group buys (拼团) and flash sales (秒杀) in a real browser: the admin creates a group buy
and a flash session in the console; three shoppers start and join a group in the
storefront, each paying on the order's pay page, until the group succeeds; a shopper wins
a flash item, is told the per-person limit on a second press, and pays the order the
attempt became; once the units are gone the item reads sold out.

The campaigns sell SKUs of a product of this test's own (made through the admin API), so
that they change no other test's stock or prices.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect
from test_web_marketing import fits_and_is_labelled

from browser import new_page, screenshots, sign_in
from e2e_steps import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, sign_up, wait_for_sku
from service_runtime.testing.processes import wait_until

# A shared machine may be slow to answer; the tests wait for what a person would see.
PATIENCE_MS = 60_000
MARK = uuid.uuid4().hex[:6].upper()
LIST_PRICE, GROUP_PRICE, FLASH_PRICE = 5_900, 3_990, 990


def minute(moment: datetime) -> str:
    """A time as the console's datetime-local fields take it (UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(scope="module")
def goods(stack, admin) -> dict:
    """A product of this test's own with a SKU for the group buy and one for the flash sale."""
    group_sku, flash_sku = f"E2E-GB-POT-{MARK}", f"E2E-FS-POT-{MARK}"
    with requests.Session() as http:
        made = http.post(stack.url("/api/v1/admin/products"), headers=admin, json={
            "name": f"活动测试砂锅 {MARK}", "brand": "小铺自营", "category_id": 411,
            "description": "campaign e2e",
            "skus": [{"sku": sku, "price": {"amount": LIST_PRICE, "currency": "CNY"},
                      "attributes": {"容量": size}, "stock": 200}
                     for sku, size in ((group_sku, "2L"), (flash_sku, "3L"))]})
        assert made.status_code == 201, made.text
        for sku in (group_sku, flash_sku):
            wait_for_sku(stack, http, sku)
    return {"product_id": made.json()["id"], "group_sku": group_sku, "flash_sku": flash_sku,
            "group_name": f"砂锅三人团 {MARK}", "flash_name": f"砂锅秒杀 {MARK}"}


@pytest.fixture
def console(browser, stack):
    tab = new_page(browser, stack.gateway)
    tab.context.set_default_timeout(PATIENCE_MS)
    sign_in(tab, ADMIN_EMAIL, ADMIN_PASSWORD)
    yield tab
    tab.context.close()


def shopper(browser, stack, http: requests.Session, name: str) -> tuple[Page, dict]:
    """A new customer (default address, funded wallet) signed in in a browser of their own."""
    headers = sign_up(stack, name)
    email = http.get(stack.url("/api/v1/users/me"), headers=headers).json()["email"]
    tab = new_page(browser, stack.gateway)
    tab.context.set_default_timeout(PATIENCE_MS)
    sign_in(tab, email, PASSWORD)
    return tab, headers


def pay_on_the_pay_page(page: Page) -> str:
    """On the order's pay page (which waits while the stock is reserved): pay from the
    wallet; the order's id."""
    page.wait_for_url(re.compile(r"/orders/[^/]+/pay"))
    order_id = page.url.split("/orders/", 1)[1].split("/", 1)[0]
    expect(page.get_by_role("radio", name=re.compile("货到付款"))).to_have_count(0)
    page.get_by_role("button", name="确认支付").click()
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()
    return order_id


def test_the_admin_creates_a_group_buy_and_three_shoppers_fill_a_group(stack, http, browser,
                                                                       console, goods):
    console.goto("/admin/")
    console.get_by_role("navigation", name="后台导航").get_by_role("link", name="拼团活动").click()
    console.get_by_role("link", name="新建拼团").click()
    console.get_by_label("名称", exact=True).fill(goods["group_name"])
    console.get_by_label("SKU", exact=True).fill(goods["group_sku"])
    console.get_by_label("商品编号（选填）").fill(str(goods["product_id"]))
    console.get_by_label("拼团价（元）").fill(f"{GROUP_PRICE / 100:.2f}")
    console.get_by_label("成团人数").fill("3")
    console.get_by_label("成团时限（小时）").fill("1")
    console.get_by_label("结束时间（UTC）").fill(minute(datetime.now(UTC) + timedelta(days=1)))
    screenshots(console, "admin-group-buy-new")
    console.get_by_role("button", name="创建").click()
    expect(console.get_by_text(f"已创建：{goods['group_name']}")).to_be_visible()
    row = console.locator(f"[data-testid=group-buy-row][data-name='{goods['group_name']}']")
    expect(row).to_contain_text("¥39.90")
    screenshots(console, "admin-group-buys")

    leader, _ = shopper(browser, stack, http, "gb-web-1")
    leader.goto("/")
    leader.get_by_test_id("home-group-buys").click()
    card = leader.locator(f"[data-testid=group-buy][data-name='{goods['group_name']}']")
    expect(card.get_by_test_id("group-price")).to_have_text("¥39.90")
    screenshots(leader, "group-buys")
    card.get_by_role("link", name=re.compile("发起拼团")).click()
    leader.get_by_role("button", name=re.compile("发起拼团")).click()
    expect(leader.get_by_text(re.compile("拼团已发起，团号"))).to_be_visible()
    pay_on_the_pay_page(leader)
    leader.get_by_test_id("see-group").click()
    group_id = leader.get_by_test_id("group-id").inner_text().strip()
    expect(leader.get_by_test_id("group-needed")).to_have_text("还差2人")
    expect(leader.get_by_test_id("countdown")).to_contain_text(re.compile(r"剩余 00:5\d:\d\d"))
    screenshots(leader, "group-open")

    # The second finds the open group on the product's page; the third has its address.
    second, _ = shopper(browser, stack, http, "gb-web-2")
    second.goto(f"/products/{goods['product_id']}")
    second.get_by_test_id("product-group-buy").click()
    second.locator(f"[data-testid=open-group][data-group-id='{group_id}']").get_by_role(
        "link", name=re.compile("去参团")).click()
    second.get_by_role("button", name=re.compile("参与拼团")).click()
    pay_on_the_pay_page(second)

    third, _ = shopper(browser, stack, http, "gb-web-3")
    third.goto(f"/group-buys/groups/{group_id}")
    expect(third.get_by_test_id("group-needed")).to_have_text("还差1人")
    third.get_by_role("button", name=re.compile("参与拼团")).click()
    pay_on_the_pay_page(third)

    def succeeded() -> bool:
        found = http.get(stack.url(f"/api/v1/group-buys/groups/{group_id}")).json()
        return found["status"] == "succeeded"

    wait_until(succeeded, 90, 0.5, f"group {group_id} to succeed")
    third.goto(f"/group-buys/groups/{group_id}")
    expect(third.get_by_test_id("group-status")).to_have_text("拼团成功")
    expect(third.locator("[data-testid=member][data-paid=true]")).to_have_count(3)
    screenshots(third, "group-succeeded")
    campaign_id = row.get_attribute("data-campaign-id")
    fits_and_is_labelled(third, ["/group-buys", f"/group-buys/{campaign_id}",
                                 f"/group-buys/groups/{group_id}"])
    fits_and_is_labelled(console, ["/admin/group-buys", "/admin/group-buys/new"])
    for tab in (leader, second, third):
        tab.context.close()


def attempts_answered(gateway: str) -> float:
    """Flash attempts a gateway process answered (its /metrics)."""
    metrics = requests.get(f"{gateway}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("gateway_requests_total{") and 'method="POST"' in line
               and "/attempts" in line)


def test_the_admin_creates_a_flash_session_and_a_shopper_wins_and_pays(stack, http, browser,
                                                                      console, goods):
    console.goto("/admin/")
    console.get_by_role("navigation", name="后台导航").get_by_role("link", name="秒杀场次").click()
    console.get_by_role("link", name="新建秒杀场次").click()
    now = datetime.now(UTC)
    console.get_by_label("名称", exact=True).fill(goods["flash_name"])
    console.get_by_label("开始时间（UTC）").fill(minute(now - timedelta(minutes=1)))
    console.get_by_label("结束时间（UTC）").fill(minute(now + timedelta(hours=1)))
    console.get_by_label("SKU 1", exact=True).fill(goods["flash_sku"])
    console.get_by_label("商品编号（选填） 1").fill(str(goods["product_id"]))
    console.get_by_label("秒杀价（元） 1").fill(f"{FLASH_PRICE / 100:.2f}")
    console.get_by_label("秒杀数量 1").fill("2")
    console.get_by_label("每人限购 1").fill("1")
    screenshots(console, "admin-flash-new")
    console.get_by_role("button", name="创建").click()
    expect(console.get_by_text(f"已创建：{goods['flash_name']}")).to_be_visible()
    row = console.locator(f"[data-testid=flash-row][data-name='{goods['flash_name']}']")
    session_id = row.get_attribute("data-session-id")
    screenshots(console, "admin-flash-sales")

    def held() -> bool:
        sessions = http.get(stack.url("/api/v1/flash-sales")).json()["items"]
        return any(s["id"] == session_id and s["items"][0]["stock_status"] == "held"
                   for s in sessions)

    wait_until(held, 60, 0.5, "the catalog to hold the flash stock")

    buyer, buyer_headers = shopper(browser, stack, http, "fs-web-1")
    buyer.goto("/flash-sales")
    session = buyer.locator(f"[data-testid=flash-session][data-session-id='{session_id}']")
    item = session.locator(f"[data-testid=flash-item][data-sku='{goods['flash_sku']}']")
    expect(item.get_by_test_id("flash-price")).to_have_text("¥9.90")
    expect(item.get_by_test_id("flash-remaining")).to_have_text("剩余 2 / 2 件")
    screenshots(buyer, "flash-sales")
    answered_before = attempts_answered(stack.gateway), attempts_answered(stack.flash_pool)
    item.get_by_role("button", name=re.compile("立即抢购")).click()
    order_id = pay_on_the_pay_page(buyer)
    order = http.get(stack.url(f"/api/v1/orders/{order_id}"), headers=buyer_headers).json()
    assert order["campaign"]["kind"] == "flash_sale"
    assert order["lines"][0]["sku"] == goods["flash_sku"]

    # A second press: the per-person limit, told on the item.
    buyer.goto("/flash-sales")
    item.get_by_role("button", name=re.compile("立即抢购")).click()
    expect(item.get_by_test_id("flash-refused")).to_have_text("您已抢到过，已达每人限购数量")
    expect(item.get_by_test_id("flash-remaining")).to_have_text("剩余 1 / 2 件")

    other, _ = shopper(browser, stack, http, "fs-web-2")
    other.goto("/flash-sales")
    other.locator(f"[data-testid=flash-session][data-session-id='{session_id}'] "
                  f"[data-sku='{goods['flash_sku']}']").get_by_role(
        "button", name=re.compile("立即抢购")).click()
    pay_on_the_pay_page(other)
    buyer.goto("/flash-sales")
    expect(item.get_by_role("button", name=re.compile("已抢光"))).to_be_disabled()
    screenshots(buyer, "flash-sold-out")
    # The storefront's presses went to the gateway's flash-sale pool (as a client app's do
    # through the ingress), not to the gateway the shoppers browse through.
    assert attempts_answered(stack.flash_pool) == answered_before[1] + 3
    assert attempts_answered(stack.gateway) == answered_before[0]
    fits_and_is_labelled(buyer, ["/flash-sales", "/"])
    fits_and_is_labelled(console, ["/admin/flash-sales", "/admin/flash-sales/new"])
    for tab in (buyer, other):
        tab.context.close()
