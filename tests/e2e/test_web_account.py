"""The cart and the shopper's account in a real browser: a guest's cart (add, change,
remove), signing up (email, or phone with a one-time code from the local mailbox), the
guest cart merged at sign-in, the profile and the address book, with the API's refusals
shown beside what caused them."""

from __future__ import annotations

import re
import uuid

import requests
from playwright.sync_api import Page, expect

from browser import screenshots
from e2e_steps import HOME, KETTLE, MUG, PASSWORD, sign_up, wait_for_sku
from service_runtime.testing.processes import wait_until


def add_to_cart(page: Page, sku: str, quantity: int = 1, next_page: str = "/cart") -> str:
    """Post the product page's form with the tab's cookies; returns where it sends back to
    (the flash message waits there: the redirect is not followed)."""
    response = page.request.post("/cart/items", max_redirects=0, form={
        "sku": sku, "quantity": str(quantity), "next": next_page})
    assert response.status == 302, response.text()
    return response.headers["location"]


def cart_line(page: Page, sku: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid="cart-line"][data-sku="{sku}"]')


def mailbox_code(stack, phone: str, purpose: str) -> str:
    """The newest code the user worker delivered to the phone's local mailbox file."""
    from user.notifications import LocalMailbox

    mailbox = LocalMailbox(stack.log_dir / "data" / "mailbox")
    word = {"register": "注册", "login": "登录"}[purpose]

    def newest() -> str | None:
        codes = re.findall(rf"{word}验证码是 (\d{{6}})", mailbox.read(phone))
        return codes[-1] if codes else None

    return wait_until(newest, 30, 0.2, f"a {purpose} code in {phone}'s mailbox")


def new_phone() -> str:
    return f"137{uuid.uuid4().int % 10**8:08d}"


def test_a_guest_fills_changes_and_empties_the_cart(stack, http, page):
    wait_for_sku(stack, http, KETTLE)
    wait_for_sku(stack, http, MUG)

    page.goto("/cart")
    expect(page.get_by_test_id("cart-empty")).to_contain_text("购物车是空的")
    expect(page.get_by_test_id("cart-empty").get_by_role("link", name="去逛逛")).to_have_attribute(
        "href", "/")

    assert add_to_cart(page, KETTLE, 1) == "/cart"
    page.goto("/cart")
    expect(page.get_by_role("status")).to_contain_text("已加入购物车")
    add_to_cart(page, MUG, 2)
    page.goto("/cart")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(cart_line(page, KETTLE)).to_contain_text("¥99.00")
    expect(cart_line(page, MUG)).to_contain_text(MUG)
    expect(page.get_by_test_id("cart-total")).to_have_text("¥149.00")  # 99 + 2 x 25, free shipping
    expect(page.get_by_role("link", name="去结算")).to_have_attribute("href", "/checkout")
    expect(cart_line(page, MUG).get_by_role("img")).to_have_attribute("width", "96")

    mug = cart_line(page, MUG)
    mug.get_by_label("数量").fill("3")
    mug.get_by_role("button", name="更新").click()
    expect(page.get_by_role("status")).to_contain_text("数量已更新")
    expect(cart_line(page, MUG).get_by_label("数量")).to_have_value("3")
    expect(page.get_by_test_id("cart-total")).to_have_text("¥174.00")

    # More than the API allows: said beside the line, the cart as it was.
    cart_line(page, MUG).get_by_label("数量").fill("150")
    cart_line(page, MUG).get_by_role("button", name="更新").click()
    expect(cart_line(page, MUG).get_by_role("alert")).to_contain_text("数量须在 1 到 99 之间")
    expect(cart_line(page, MUG).get_by_label("数量")).to_have_value("150")
    expect(page.get_by_test_id("cart-total")).to_have_text("¥174.00")
    screenshots(page, "cart-line-error")

    # Unknown SKUs are refused where the shopper came from, nothing in the cart lost.
    assert add_to_cart(page, "NO-SUCH-SKU-1", 1, next_page="/cart") == "/cart"
    page.goto("/cart")
    expect(page.locator(".flash-error")).to_contain_text("该商品暂不可售")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    screenshots(page, "cart")

    cart_line(page, KETTLE).get_by_role("button", name="删除").click()
    expect(page.get_by_role("status")).to_contain_text("已从购物车删除")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(cart_line(page, KETTLE)).to_have_count(0)
    expect(page.get_by_test_id("cart-total")).to_have_text("¥85.00")  # 75 + 10 shipping


def test_signing_up_keeps_the_guest_cart_and_a_second_guest_cart_merges_at_sign_in(
        stack, http, page):
    wait_for_sku(stack, http, KETTLE)
    wait_for_sku(stack, http, MUG)
    add_to_cart(page, KETTLE, 1)
    email = f"web-{uuid.uuid4().hex[:8]}@e2e.test"

    page.goto("/account/sign-up")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("昵称").fill("小明")
    page.get_by_label("密码").fill("short")
    page.get_by_role("button", name="注册并登录").click()
    password_field = page.locator(".field", has=page.get_by_label("密码"))
    expect(password_field.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("邮箱")).to_have_value(email)
    expect(page.get_by_label("昵称")).to_have_value("小明")
    screenshots(page, "sign-up-error")

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="注册并登录").click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("status")).to_contain_text("注册成功")
    expect(page.get_by_test_id("profile")).to_contain_text(email)
    page.goto("/cart")
    expect(cart_line(page, KETTLE)).to_be_visible()

    page.get_by_role("button", name="退出").click()
    page.goto("/cart")
    expect(page.get_by_test_id("cart-empty")).to_be_visible()
    add_to_cart(page, MUG, 2)

    page.goto("/account/sign-in?next=/cart")
    screenshots(page, "sign-in")
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/cart")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(cart_line(page, KETTLE).get_by_label("数量")).to_have_value("1")
    expect(cart_line(page, MUG).get_by_label("数量")).to_have_value("2")


def test_phone_sign_up_and_sign_in_with_codes_from_the_local_mailbox(stack, page):
    phone = new_phone()
    page.goto("/account/sign-up")
    page.get_by_role("link", name="手机号注册").click()
    expect(page.get_by_text("mailbox")).to_be_visible()  # where the embedded default puts codes
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("昵称").fill("手机用户")
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    expect(page.get_by_label("手机号")).to_have_value(phone)
    expect(page.get_by_label("昵称")).to_have_value("手机用户")

    # A second code within the minute is refused, and said so, the phone kept.
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("手机号")).to_have_value(phone)

    page.get_by_label("验证码").fill(mailbox_code(stack, phone, "register"))
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="注册并登录").click()
    page.wait_for_url("**/account")
    expect(page.get_by_test_id("profile")).to_contain_text(phone)
    page.get_by_role("button", name="退出").click()

    # Signing in with a code (a phone registered elsewhere, so no minute to wait).
    other = new_phone()
    assert requests.post(stack.url("/api/v1/auth/register"), json={
        "phone": other, "password": PASSWORD}).status_code == 201
    page.goto("/account/sign-in")
    page.get_by_role("link", name="验证码登录").click()
    page.get_by_label("手机号").fill(other)
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    code = mailbox_code(stack, other, "login")
    page.get_by_label("验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()  # a wrong code is refused
    expect(page.get_by_label("手机号")).to_have_value(other)
    screenshots(page, "sign-in-code")
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("link", name="我的订单")).to_be_visible()


def test_profile_and_address_book_behind_sign_in(stack, page):
    headers = sign_up(stack, "dora", wallet=0)
    email = requests.get(stack.url("/api/v1/users/me"), headers=headers).json()["email"]

    page.goto("/account/addresses")
    page.wait_for_url(re.compile(r"/account/sign-in\?next="))
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/account/addresses")
    home = page.get_by_test_id("address").filter(has_text=HOME["detail"])
    expect(home.get_by_test_id("default-badge")).to_be_visible()

    form = page.get_by_test_id("address-form")
    form.get_by_label("收货人").fill("李雷")
    form.get_by_label("手机号码").fill("12345")
    form.get_by_label("省份").fill("北京市")
    form.get_by_label("城市").fill("北京市")
    form.get_by_label("区县").fill("海淀区")
    form.get_by_label("详细地址").fill("中关村大街 1 号")
    form.get_by_role("button", name="保存地址").click()
    phone_field = page.locator(".field", has=page.get_by_label("手机号码"))
    expect(phone_field.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("收货人")).to_have_value("李雷")
    expect(page.get_by_label("详细地址")).to_have_value("中关村大街 1 号")
    screenshots(page, "addresses-error")

    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_role("button", name="保存地址").click()
    expect(page.get_by_role("status")).to_contain_text("地址已添加")
    new = page.get_by_test_id("address").filter(has_text="中关村大街 1 号")
    new.get_by_role("button", name="设为默认").click()
    expect(page.get_by_role("status")).to_contain_text("已设为默认地址")
    expect(page.get_by_test_id("address").filter(has_text="中关村大街 1 号")
           .get_by_test_id("default-badge")).to_be_visible()
    expect(page.get_by_test_id("address").filter(has_text=HOME["detail"])
           .get_by_test_id("default-badge")).to_have_count(0)

    page.get_by_test_id("address").filter(has_text="中关村大街 1 号").get_by_role(
        "link", name="编辑").click()
    expect(page.get_by_label("收货人")).to_have_value("李雷")
    page.get_by_label("详细地址").fill("中关村大街 2 号")
    page.get_by_role("button", name="保存地址").click()
    expect(page.get_by_role("status")).to_contain_text("地址已更新")
    expect(page.get_by_test_id("address").filter(has_text="中关村大街 2 号")).to_be_visible()
    screenshots(page, "addresses")

    page.get_by_test_id("address").filter(has_text=HOME["detail"]).get_by_role(
        "button", name="删除").click()
    expect(page.get_by_role("status")).to_contain_text("地址已删除")
    expect(page.get_by_test_id("address")).to_have_count(1)
    book = requests.get(stack.url("/api/v1/users/me/addresses"), headers=headers).json()
    assert [(a["detail"], a["is_default"]) for a in book] == [("中关村大街 2 号", True)]

    page.goto("/account")
    page.get_by_label("昵称").fill("朵拉")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("资料已保存")
    expect(page.get_by_label("昵称")).to_have_value("朵拉")
    assert requests.get(stack.url("/api/v1/users/me"), headers=headers).json()["nickname"] == "朵拉"
    screenshots(page, "profile")
