"""The admin console in a real browser: only the admin gets in; the admin creates and
edits a product and sets its stock (seen in the public API), ships a paid order, approves
a return and confirms the goods came back, answers and closes a ticket, and opens the
day's reconciliation. Every page is saved as a screenshot at both widths."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from browser import new_page, screenshots, sign_in
from e2e_steps import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MUG,
    PASSWORD,
    payable_order,
    request_return,
    ship_and_deliver,
    sign_up,
    start_payment,
    wait_for_status,
)
from service_runtime.testing.processes import wait_until

# A shared machine may be slow to answer; the tests wait for what a person would see.
PATIENCE_MS = 60_000


@pytest.fixture
def visitor(browser, stack):
    tab = new_page(browser, stack.gateway)
    tab.context.set_default_timeout(PATIENCE_MS)
    yield tab
    tab.context.close()


@pytest.fixture
def console(visitor):
    """The admin's tab, signed in through the storefront's form."""
    sign_in(visitor, ADMIN_EMAIL, ADMIN_PASSWORD)
    return visitor


@pytest.fixture(scope="module")
def buyer(stack) -> dict[str, str]:
    return sign_up(stack, "admin-buyer")


def paid_order(stack, headers: dict[str, str]) -> dict:
    with requests.Session() as http:
        order = payable_order(stack, http, headers, [{"sku": MUG, "quantity": 1}])
        start_payment(stack, http, headers, order["id"], "balance")
        return wait_for_status(stack, http, order["id"], headers, "paid")


def public_product(stack, product_id: int) -> dict:
    answer = requests.get(stack.url(f"/api/v1/products/{product_id}"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_guest_signs_in_first_and_a_customer_is_refused(stack, visitor, buyer):
    page = visitor
    page.goto("/admin/")
    assert page.url.endswith("/account/sign-in?next=/admin/"), "back to the console after"

    email = requests.get(stack.url("/api/v1/users/me"), headers=buyer).json()["email"]
    sign_in(page, email, PASSWORD)
    assert page.get_by_role("link", name="管理后台").count() == 0, "no console link for them"
    refused = page.goto("/admin/products")
    assert refused.status == 403
    assert page.get_by_role("heading", name="没有权限访问此页面").is_visible()
    screenshots(page, "admin-forbidden")


def test_the_admin_creates_edits_and_stocks_a_product(stack, console):
    console.goto("/admin/")
    assert console.get_by_role("navigation", name="后台导航").is_visible()
    screenshots(console, "admin-home")
    console.get_by_role("navigation", name="后台导航").get_by_role("link", name="商品").click()
    console.get_by_role("link", name="新建商品", exact=True).click()

    mark = uuid.uuid4().hex[:8]
    code = f"E2E-ADMIN-{mark}".upper()
    name = f"测试保温杯 {mark}"
    console.get_by_label("商品名称").fill(name)
    console.get_by_label("品牌").fill("小铺自营")
    console.get_by_label("分类").select_option(index=1)
    console.get_by_label("商品描述").fill("双层不锈钢，保温 12 小时。")
    row = console.get_by_test_id("sku-row-0")
    row.get_by_label("SKU 编码").fill(code)
    row.get_by_label("价格（元）").fill("88.505")
    row.get_by_label("库存").fill("7")
    row.get_by_label("规格（如 颜色:白色）").fill("颜色:白色, 容量:500ml")
    console.get_by_role("button", name="创建商品").click()

    # A price with a third decimal is refused beside its field; nothing typed is lost.
    assert row.get_by_text("请输入金额，如 129.90").is_visible()
    assert console.get_by_label("商品名称").input_value() == name
    assert row.get_by_label("SKU 编码").input_value() == code
    screenshots(console, "admin-product-new")
    row.get_by_label("价格（元）").fill("88.50")
    console.get_by_role("button", name="创建商品").click()

    assert console.get_by_text(f"商品已创建：{name}").is_visible()
    product_id = int(re.search(r"/admin/products/(\d+)", console.url).group(1))
    product = public_product(stack, product_id)
    assert product["name"] == name and product["brand"] == "小铺自营"
    assert [(s["sku"], s["price"]["amount"], s["available"]) for s in product["skus"]] == [
        (code, 8850, 7)]
    assert product["skus"][0]["attributes"] == {"颜色": "白色", "容量": "500ml"}

    console.locator("#f-skus-0-price").fill("99.00")
    console.get_by_role("button", name="保存").click()
    assert console.get_by_text("商品已保存").is_visible()
    wait_until(lambda: public_product(stack, product_id)["skus"][0]["price"]["amount"] == 9900,
               30, 0.2, "the new price in the public API")

    stock = console.get_by_test_id(f"stock-{code}")
    stock.get_by_label(f"{code} 的库存").fill("12")
    stock.get_by_role("button", name="设置库存").click()
    assert console.get_by_text(f"{code} 库存已设为 12").is_visible()
    # Public answers are kept for a second: the new stock shows once that has passed.
    wait_until(lambda: public_product(stack, product_id)["skus"][0]["available"] == 12, 30, 0.2,
               "the new stock in the public API")
    screenshots(console, "admin-product-edit")

    console.goto("/admin/products?q=" + mark)
    assert console.get_by_role("link", name=name).is_visible(), "the list finds it"
    screenshots(console, "admin-products")


def test_the_admin_approves_a_return_and_receives_the_goods(stack, console, buyer, admin):
    order = paid_order(stack, buyer)
    with requests.Session() as http:
        ship_and_deliver(stack, http, admin, order["id"], f"SF{uuid.uuid4().hex[:12]}")
        wait_for_status(stack, http, order["id"], buyer, "delivered")
        asked = request_return(stack, http, buyer, order["id"], "return_refund",
                               [{"sku": MUG, "quantity": 1}], "杯子有裂纹")

    console.goto("/admin/returns?status=requested")
    card = console.get_by_test_id(f"return-{order['id']}")
    assert card.get_by_text("杯子有裂纹", exact=True).is_visible()
    screenshots(console, "admin-returns")
    card.get_by_role("button", name="同意").click()
    assert console.get_by_text("已同意售后申请").is_visible()
    assert _return_of(stack, buyer, asked["id"])["status"] == "approved"

    console.goto("/admin/returns?status=approved")
    card = console.get_by_test_id(f"return-{order['id']}")
    card.get_by_role("button", name="确认收到退货").click()
    assert console.get_by_text("已确认收到退货").is_visible()
    wait_until(lambda: _return_of(stack, buyer, asked["id"])["status"] in ("received",
                                                                             "refunded"),
               60, 0.3, "the return to be received")


def test_the_admin_finds_an_unpaid_order_and_reads_its_timeline(stack, console, buyer):
    with requests.Session() as http:
        order = payable_order(stack, http, buyer, [{"sku": MUG, "quantity": 3}])
    console.goto(f"/admin/orders?user_id={order['user_id']}&status=awaiting_payment")
    rows = console.get_by_test_id("admin-orders")
    expect(rows).to_contain_text(order["id"])
    expect(rows).to_contain_text("待付款")
    expect(rows).to_contain_text(f"{MUG} \u00d7 3")
    screenshots(console, "admin-orders")
    rows.get_by_role("link", name=order["id"]).click()
    console.wait_for_url(f"**/admin/orders/{order['id']}")
    # Three mugs and express delivery (under the ¥99 of free delivery).
    expect(console.get_by_test_id("admin-order-total")).to_have_text("¥95.00")
    timeline = console.get_by_test_id("admin-order-timeline")
    expect(timeline).to_contain_text("待确认库存")
    expect(timeline).to_contain_text("待付款")
    screenshots(console, "admin-order")
    console.goto("/admin/orders/ord_no_such_order")
    expect(console.get_by_test_id("admin-order-unknown")).to_be_visible()


def _return_of(stack, headers: dict[str, str], return_id: str) -> dict:
    return requests.get(stack.url(f"/api/v1/returns/{return_id}"), headers=headers).json()


def test_the_admin_answers_and_closes_a_ticket(stack, console, buyer):
    subject = f"发票问题 {uuid.uuid4().hex[:6]}"
    opened = requests.post(stack.url("/api/v1/tickets"), headers=buyer,
                           json={"subject": subject, "message": "请帮我开一张发票。"})
    assert opened.status_code == 201, opened.text

    console.goto("/admin/tickets?status=open")
    screenshots(console, "admin-tickets")
    console.get_by_role("link", name=subject).click()
    console.get_by_role("button", name="发送回复").click()
    assert console.get_by_text("必填").is_visible(), "an empty answer is refused by its field"
    console.get_by_label("回复内容").fill("您好，发票已开具，请在订单详情下载。")
    console.get_by_role("button", name="发送回复").click()
    assert console.get_by_text("回复已发送").is_visible()
    screenshots(console, "admin-ticket")

    ticket = requests.get(stack.url(f"/api/v1/tickets/{opened.json()['id']}"),
                          headers=buyer).json()
    assert ticket["status"] == "answered"
    assert ticket["messages"][-1] == {**ticket["messages"][-1], "author": "staff",
                                      "body": "您好，发票已开具，请在订单详情下载。"}

    console.get_by_role("button", name="关闭工单").click()
    assert console.get_by_text("工单已关闭").is_visible()
    assert requests.get(stack.url(f"/api/v1/tickets/{opened.json()['id']}"),
                        headers=buyer).json()["status"] == "closed"


def test_the_admin_opens_the_days_reconciliation(stack, console, buyer):
    paid_order(stack, buyer)
    today = datetime.now(UTC).date().isoformat()

    console.goto("/admin/")
    console.get_by_role("link", name="对账", exact=True).click()
    assert console.get_by_label("对账日期").input_value() == today
    console.get_by_role("button", name="查看").click()
    report = console.get_by_test_id("reconciliation-report")
    assert report.get_by_role("heading", name=f"{today} 对账单").is_visible()
    balance = report.get_by_test_id("method-balance")
    assert balance.get_by_role("rowheader", name="余额").is_visible()
    assert int(balance.locator("td").first.inner_text()) >= 1, "today's wallet payments"
    screenshots(console, "admin-reconciliation")


def test_the_admin_imports_a_product_file(stack, console, tmp_path):
    mark = uuid.uuid4().hex[:8]
    tree = requests.get(stack.url("/api/v1/categories")).json()["items"]
    category = (tree[0].get("children") or [tree[0]])[0]["id"]

    def product(n: int) -> str:
        return json.dumps({
            "name": f"导入测试茶具 {mark} {n}", "brand": "小铺自营", "category_id": category,
            "skus": [{"sku": f"E2E-IMPORT-{mark}-{n}".upper(), "stock": 5,
                      "price": {"amount": 3900 + n, "currency": "CNY"}}]}, ensure_ascii=False)

    def found() -> list[str]:
        answer = requests.get(stack.url("/api/v1/products"), params={"q": mark, "limit": 10})
        return sorted(p["name"] for p in answer.json()["items"])

    console.goto("/admin/products")
    console.get_by_role("link", name="导入商品").click()
    bad = tmp_path / "bad.ndjson"
    bad.write_text(product(1) + "\n" + '{"name": ""}\n', encoding="utf-8")
    console.get_by_label("商品文件（NDJSON）").set_input_files(bad)
    console.get_by_role("button", name="开始导入").click()
    # The bad line is named; its good neighbour is not imported either.
    expect(console.get_by_test_id("bad-lines")).to_contain_text("第 2 行")
    expect(console.get_by_test_id("bad-lines")).to_contain_text("brand")
    screenshots(console, "admin-product-import")
    assert found() == []

    good = tmp_path / "products.ndjson"
    good.write_text(product(1) + "\n" + product(2) + "\n", encoding="utf-8")
    console.get_by_label("商品文件（NDJSON）").set_input_files(good)
    console.get_by_role("button", name="开始导入").click()
    expect(console.get_by_text("已导入 2 个商品，跳过已有商品 0 个")).to_be_visible()
    assert console.url.endswith("/admin/products")
    # Each process keeps a search's answer for up to a second (the catalog's and the
    # gateway's), so the empty answer asked for above may still be served for a moment.
    imported = [f"导入测试茶具 {mark} 1", f"导入测试茶具 {mark} 2"]
    wait_until(lambda: found() == imported, 30, 0.2, "the imported products in search")

    console.goto("/admin/products/import")
    console.get_by_label("商品文件（NDJSON）").set_input_files(good)
    console.get_by_role("button", name="开始导入").click()
    expect(console.get_by_text("已导入 0 个商品，跳过已有商品 2 个")).to_be_visible()
