"""Marketing and membership in a real browser: the admin creates a full reduction (满300减40)
in the console; a guest claims a coupon in the coupon centre (signing in on the way) and
finds it in "my coupons"; the cart shows the way to the next tier; the checkout with the
coupon and points shows the breakdown the order keeps, and the order page shows it too;
the admin sees the promotion's figures.

The offers apply to a product of this test's own (made through the admin API), so that
they change no other test's prices; amounts are checked against what the API says for
the same choices (demo offers loaded in the stack may apply too).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from browser import DESKTOP, PHONE, new_page, screenshots, sign_in
from e2e_steps import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, sign_up, wait_for_sku
from service_runtime.testing.processes import wait_until

# A shared machine may be slow to answer; the tests wait for what a person would see.
PATIENCE_MS = 60_000
MARK = uuid.uuid4().hex[:6].upper()
PRICE = 12_700  # ¥127: two are short of ¥300, three reach it
POINTS = 300


def yuan(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    whole, fen = divmod(abs(amount), 100)
    return f"{sign}¥{whole:,}.{fen:02d}"


@pytest.fixture(scope="module")
def goods(stack, admin) -> dict:
    """A product of this test's own and a claimable coupon for it (满200减20); the test
    fills in the promotion the admin makes."""
    with requests.Session() as http:
        sku = f"E2E-MKT-CUP-{MARK}"
        made = http.post(stack.url("/api/v1/admin/products"), headers=admin, json={
            "name": f"营销测试保温杯 {MARK}", "brand": "小铺自营", "category_id": 411,
            "description": "marketing e2e",
            "skus": [{"sku": sku, "price": {"amount": PRICE, "currency": "CNY"},
                      "attributes": {"颜色": "白色"}, "stock": 500}]})
        assert made.status_code == 201, made.text
        product_id = made.json()["id"]
        coupon_name = f"保温杯满200减20 {MARK}"
        coupon = http.post(stack.url("/api/v1/admin/coupons"), headers=admin, json={
            "name": coupon_name, "kind": "amount_off",
            "amount_off": {"amount": 2000, "currency": "CNY"},
            "min_spend": {"amount": 20000, "currency": "CNY"},
            "scope": {"kind": "products", "ids": [product_id]}, "valid_days": 7,
            "total_quantity": 50, "per_user_limit": 1, "claimable": True})
        assert coupon.status_code == 201, coupon.text
        wait_for_sku(stack, http, sku)
    return {"sku": sku, "product_id": product_id, "coupon_name": coupon_name,
            "coupon_id": coupon.json()["id"], "promotion_name": f"保温杯满300减40 {MARK}"}


@pytest.fixture
def console(browser, stack):
    tab = new_page(browser, stack.gateway)
    tab.context.set_default_timeout(PATIENCE_MS)
    sign_in(tab, ADMIN_EMAIL, ADMIN_PASSWORD)
    yield tab
    tab.context.close()


def test_the_admin_creates_a_full_reduction_in_the_console(stack, console, goods):
    console.goto("/admin/")
    nav = console.get_by_role("navigation", name="后台导航")
    nav.get_by_role("link", name="促销活动").click()
    console.get_by_role("link", name="新建活动").click()
    start = datetime.now(UTC) - timedelta(hours=1)
    console.get_by_label("名称", exact=True).fill(goods["promotion_name"])
    console.get_by_label("类型", exact=True).select_option("full_reduction")
    console.get_by_label("第 1 档：满").fill("300")
    console.get_by_label("第 1 档：减").fill("40")
    console.get_by_label("适用范围", exact=True).select_option("products")
    console.get_by_label("分类编号 / 商品编号 / 品牌").fill(str(goods["product_id"]))
    console.get_by_label("开始时间（UTC）").fill(start.strftime("%Y-%m-%dT%H:%M"))
    console.get_by_label("结束时间（UTC）").fill(
        (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    console.get_by_label("优先级").fill("10")
    screenshots(console, "admin-promotion-new")
    console.get_by_role("button", name="创建").click()

    expect(console.get_by_text(f"已创建：{goods['promotion_name']}")).to_be_visible()
    row = console.locator(f"[data-testid=promotion-row][data-name='{goods['promotion_name']}']")
    expect(row).to_contain_text("满¥300减¥40")
    expect(row).to_contain_text("进行中")
    screenshots(console, "admin-promotions")

    def running() -> bool:
        items = requests.get(stack.url("/api/v1/promotions")).json()["items"]
        return any(p["name"] == goods["promotion_name"] for p in items)

    wait_until(running, 30, 0.3, "the promotion in the public list")
    console.goto("/")
    expect(console.get_by_test_id("promotions-banner")).to_contain_text(goods["promotion_name"])
    console.goto(f"/products/{goods['product_id']}")
    expect(console.get_by_test_id("product-promotions")).to_contain_text("满¥300减¥40")


def checkout_quote(stack, http, headers, coupon_id: str, points: int) -> dict:
    quote = http.post(stack.url("/api/v1/checkout/preview"), headers=headers, json={
        "delivery_method": "standard", "coupon_id": coupon_id, "points": points})
    assert quote.status_code == 200, quote.text
    return quote.json()


def fits_and_is_labelled(page: Page, paths: list[str]) -> None:
    """Each page at 360 px: no sideways scrolling, every control labelled, every button
    and link named (what tests/e2e/test_web_quality.py asks of the main pages)."""
    page.set_viewport_size(PHONE)
    try:
        for path in paths:
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
            unlabelled = page.evaluate("""() => [...document.querySelectorAll(
                  'input:not([type=hidden]), select, textarea')]
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                             && !e.getAttribute('aria-labelledby'))
                .map(e => e.name || e.id)""")
            assert unlabelled == [], f"{path}: controls without a label: {unlabelled}"
            unnamed = page.evaluate("""() => [...document.querySelectorAll('button, a[href]')]
                .filter(e => !(e.innerText.trim() || e.getAttribute('aria-label')))
                .map(e => e.outerHTML.slice(0, 80))""")
            assert unnamed == [], f"{path}: buttons or links without a name: {unnamed}"
    finally:
        page.set_viewport_size(DESKTOP)


def hint_text(tier: dict) -> str:
    return f"再买 {yuan(tier['missing']['amount'])} 可减 {yuan(tier['off']['amount'])}"


def reduction(area, goods: dict):
    """The breakdown's line of our promotion (a demo full reduction may be there too)."""
    return area.locator(f"[data-testid=adjustment-full_reduction]"
                        f"[data-label='{goods['promotion_name']}']")


def pay_once_payable(page: Page) -> None:
    """After "place order": paid from the wallet at once, or (the coupon and points still
    being locked) on the pay page once the order is payable."""
    page.wait_for_url(re.compile(r"/orders/[^/]+/(result|pay)"))
    if "/pay" in page.url:
        page.get_by_role("button", name="确认支付").click()
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()


def test_a_shopper_claims_a_coupon_and_checks_out_with_it_and_points(stack, http, page: Page,
                                                                    goods):
    page.context.set_default_timeout(PATIENCE_MS)
    headers = sign_up(stack, "coupon-hunter")
    me = http.get(stack.url("/api/v1/users/me"), headers=headers).json()
    stack.cli("user", "grant-points", "--user-id", me["id"], "--points", "500")

    # A guest presses "claim", signs in, and comes back to the coupon centre to claim it.
    page.goto("/coupons")
    card = page.locator(f"[data-coupon-name='{goods['coupon_name']}']")
    expect(card).to_contain_text("¥20")
    expect(card).to_contain_text("满¥200可用")
    screenshots(page, "coupon-centre")
    card.get_by_role("button", name=re.compile("登录后领取")).click()
    page.wait_for_url(re.compile(r"/account/sign-in\?next=/coupons"))
    page.get_by_label("邮箱或手机号").fill(me["email"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/coupons$"))
    card.get_by_role("button", name=re.compile("立即领取")).click()
    expect(page.get_by_text(f"领取成功：{goods['coupon_name']}")).to_be_visible()

    page.get_by_role("link", name="查看我的优惠券").click()
    mine = page.get_by_test_id("my-coupons")
    expect(mine).to_contain_text(goods["coupon_name"])
    expect(page.get_by_role("link", name="可使用")).to_have_attribute("aria-current", "page")
    screenshots(page, "my-coupons")
    held = http.get(stack.url("/api/v1/users/me/coupons"), headers=headers).json()["items"]
    user_coupon = next(c["id"] for c in held if c["template_id"] == goods["coupon_id"])

    # Two cups: short of the ¥300 tier, and the cart says by how much.
    added = http.post(stack.url("/api/v1/cart/items"), headers=headers,
                      json={"sku": goods["sku"], "quantity": 2})
    assert added.status_code in (200, 201), added.text
    page.goto("/cart")
    hint = page.get_by_test_id("tier-hint")
    expect(hint).to_contain_text("可减 ¥40.00")
    tier = http.get(stack.url("/api/v1/cart"), headers=headers).json()["pricing"]["next_tier"]
    expect(hint).to_have_text(hint_text(tier))
    expect(page.get_by_test_id("usable-coupons")).to_be_visible()
    screenshots(page, "cart-tier-hint")

    # A third cup reaches the tier.
    page.get_by_label(re.compile("的数量")).fill("3")
    page.get_by_role("button", name="更新").click()
    expect(page.get_by_test_id("cart-promotion").filter(
        has_text=goods["promotion_name"])).to_contain_text("-¥40.00")
    after = http.get(stack.url("/api/v1/cart"), headers=headers).json()["pricing"]["next_tier"]
    if after is None:
        expect(page.get_by_test_id("tier-hint")).to_have_count(0)
    else:  # a demo promotion of more tiers hints at its next one
        expect(page.get_by_test_id("tier-hint")).to_have_text(hint_text(after))

    # Checkout: the coupon chosen, points typed; the breakdown follows (htmx). Marketing
    # learns the granted points from an event: wait until its quote knows them.
    wait_until(lambda: http.post(stack.url("/api/v1/checkout/preview"), headers=headers, json={
        "points": POINTS}).status_code == 200, 60, 0.5, "marketing to know the points")
    page.goto("/checkout")
    page.get_by_label("优惠券", exact=True).select_option(user_coupon)
    points = page.get_by_label("使用积分")
    expect(page.get_by_test_id("points-hint")).to_contain_text("可用 500 积分")
    points.fill(str(POINTS))
    points.press("Tab")
    summary = page.get_by_test_id("checkout-breakdown")
    expect(summary.get_by_test_id("adjustment-points")).to_have_text(yuan(-POINTS))
    expect(summary.get_by_test_id("adjustment-coupon")).to_have_text("-¥20.00")
    expect(reduction(summary, goods)).to_have_text("-¥40.00")
    quote = checkout_quote(stack, http, headers, user_coupon, POINTS)
    expect(page.get_by_test_id("checkout-total")).to_have_text(yuan(quote["payable"]["amount"]))
    screenshots(page, "checkout-breakdown")
    page.get_by_role("button", name="提交订单").click()
    pay_once_payable(page)
    order_id = page.get_by_test_id("order-id").inner_text().strip()
    order = http.get(stack.url(f"/api/v1/orders/{order_id}"), headers=headers).json()
    assert order["total"] == quote["payable"]
    assert order["user_coupon_id"] == user_coupon and order["points_used"] == POINTS

    page.goto(f"/orders/{order_id}")
    breakdown = page.get_by_test_id("order-breakdown")
    expect(breakdown.get_by_test_id("adjustment-coupon")).to_have_text("-¥20.00")
    expect(breakdown.get_by_test_id("adjustment-points")).to_have_text(yuan(-POINTS))
    expect(reduction(breakdown, goods)).to_have_text("-¥40.00")
    expect(page.get_by_test_id("order-total")).to_have_text(yuan(order["total"]["amount"]))
    expect(page.get_by_test_id("line-payable")).to_have_text(
        f"实付 {yuan(order['lines'][0]['payable']['amount'])}")
    screenshots(page, "order-breakdown")

    def spent() -> bool:
        member = http.get(stack.url("/api/v1/users/me/membership"), headers=headers).json()
        return member["points"]["balance"] == 500 - POINTS and not member["points"]["locked"]

    wait_until(spent, 60, 0.5, "the points spent on payment")
    page.goto("/account/membership")
    expect(page.get_by_test_id("points-balance")).to_have_text(str(500 - POINTS))
    expect(page.get_by_test_id("member-level")).to_contain_text("普通会员")
    expect(page.get_by_test_id("points-history")).to_contain_text("系统赠送")
    screenshots(page, "membership")
    fits_and_is_labelled(page, ["/coupons", "/account/coupons?status=used", "/account/membership",
                                "/cart", f"/orders/{order_id}"])


def test_the_admin_sees_the_figures_of_the_promotion(stack, admin, console, goods):
    def counted() -> bool:
        stats = requests.get(stack.url("/api/v1/admin/marketing/stats"), headers=admin).json()
        return any(p["name"] == goods["promotion_name"] and p["orders"] >= 1
                   for p in stats["promotions"]) and any(
            c["name"] == goods["coupon_name"] and c["used"] >= 1 for c in stats["coupons"])

    wait_until(counted, 60, 0.5, "the paid order in the promotion's figures")
    console.goto("/admin/")
    console.get_by_role("navigation", name="后台导航").get_by_role("link", name="营销数据").click()
    row = console.get_by_test_id("stats-promotions").locator(
        f"tr[data-name='{goods['promotion_name']}']")
    expect(row).to_contain_text("¥40.00")
    coupons = console.get_by_test_id("stats-coupons").locator(
        f"tr[data-name='{goods['coupon_name']}']")
    expect(coupons).to_contain_text("¥20.00")
    screenshots(console, "admin-marketing-stats")
    coupon_page = console.get_by_test_id("stats-coupons").get_by_role(
        "link", name=goods["coupon_name"])
    coupon_page.click()
    expect(console.get_by_label("名称", exact=True)).to_have_value(goods["coupon_name"])
    screenshots(console, "admin-coupon-edit")
    fits_and_is_labelled(console, ["/admin/coupons", "/admin/coupons/new", "/admin/promotions",
                                   "/admin/promotions/new", "/admin/marketing/stats"])
