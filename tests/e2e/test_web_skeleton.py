"""The web pages behind the gateway, in a real browser: the storefront answers at ``/``
in Chinese by default and switches to English, and its pictures are local."""

from __future__ import annotations

import requests

from browser import screenshots, sign_in


def test_the_gateway_serves_the_storefront_at_its_root(stack, page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.title().endswith("小铺商城")
    featured = page.get_by_test_id("featured").locator("li")
    assert featured.count() >= 5, "the demo catalog's best sellers are on the home page"
    screenshots(page, "home")

    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Sign in").is_visible()
    page.get_by_role("link", name="中文").click()
    assert page.get_by_role("link", name="登录").is_visible()


def test_pages_are_not_cached_and_pictures_are_local(stack, http):
    home = http.get(stack.url("/"))
    assert home.status_code == 200
    assert home.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in home.headers["Content-Security-Policy"]
    assert "example" not in home.text, "no picture points at the demo data's absent host"
    picture = next(part.split('"', 1)[0] for part in home.text.split('src="')[1:]
                   if part.startswith("/img/"))
    svg = http.get(stack.url(picture))
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")


def test_a_missing_page_is_a_page_not_json(stack, http):
    missing = http.get(stack.url("/no-such-page"))
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/html")
    assert "页面不存在" in missing.text


def test_the_web_process_is_healthy_and_ready(stack):
    assert requests.get(stack.web + "/healthz").status_code == 200
    assert requests.get(stack.web + "/readyz").status_code == 200


def test_signing_in_and_out_in_the_browser(stack, page):
    from e2e_steps import PASSWORD, sign_up

    headers = sign_up(stack, "carol", wallet=0)
    email = requests.get(stack.url("/api/v1/users/me"), headers=headers).json()["email"]

    page.goto("/account/sign-in")
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").is_visible(), "the API's refusal is shown"
    assert page.get_by_label("邮箱或手机号").input_value() == email, "what was typed is kept"

    sign_in(page, email, PASSWORD)
    assert page.get_by_role("link", name="我的订单").is_visible()
    page.get_by_role("button", name="退出").click()
    assert page.get_by_role("link", name="登录").is_visible()
