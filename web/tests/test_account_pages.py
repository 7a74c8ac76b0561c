"""The account and cart pages against a stand-in gateway: what the shopper sees for the
API's answers (the browser tests in tests/e2e/test_web_account.py drive the real stack)."""

from __future__ import annotations

import json

import pytest
import requests

from shop_web.app import create_app

ADDRESS = {"id": "addr_1", "recipient": "韩梅梅", "phone": "13900139000", "province": "上海市",
           "city": "上海市", "district": "徐汇区", "detail": "漕溪北路 88 号",
           "postal_code": "200030", "is_default": True}
CART = {"lines": [{"sku": "MUG-1", "name": "马克杯", "attributes": {"colour": "白色"},
                   "quantity": 2, "unit_price": {"amount": 2500, "currency": "CNY"},
                   "subtotal": {"amount": 5000, "currency": "CNY"}, "available": 1,
                   "in_stock": False}],
        "totals": {"items": 2, "subtotal": {"amount": 5000, "currency": "CNY"},
                   "shipping_estimate": {"amount": 1000, "currency": "CNY"},
                   "total": {"amount": 6000, "currency": "CNY"}}}


def answer(status: int, body: object = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b""
    return response


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_DATA_DIR", str(tmp_path))
    app = create_app()
    answers: dict[tuple[str, str], requests.Response] = {}
    calls: list[tuple[str, str, object]] = []

    def send(method, path, *, json=None, data=None, params=None, headers=None):
        calls.append((method, path, json))
        return answers.get((method, path), answer(404, {"title": "Not found"}))

    monkeypatch.setattr(app.extensions["shop_gateway"], "send", send)
    client = app.test_client()
    client.answers, client.calls = answers, calls
    return client


def test_a_guest_is_sent_to_sign_in_and_back(site):
    site.answers["GET", "/users/me/addresses"] = answer(401, {"title": "Sign in"})
    page = site.get("/account/addresses")
    assert page.status_code == 302
    assert page.headers["Location"] == "/account/sign-in?next=/account/addresses"


def test_an_address_the_api_refuses_keeps_what_was_typed_and_says_why(site):
    site.answers["GET", "/users/me/addresses"] = answer(200, [ADDRESS])
    site.answers["POST", "/users/me/addresses"] = answer(422, {
        "type": "urn:shop:problem:validation-error", "title": "Invalid", "errors": [
            {"field": "phone", "messages": ["a mainland China mobile number, 11 digits"]}]})
    typed = {**ADDRESS, "recipient": "李雷", "phone": "12345", "postal_code": ""}
    page = site.post("/account/addresses", data={k: v for k, v in typed.items()
                                                 if k not in ("id", "is_default")})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="f-phone-error">a mainland China mobile number, 11 digits' in html
    assert 'value="李雷"' in html and 'value="12345"' in html
    assert "漕溪北路 88 号" in html, "the book is still listed"
    sent = site.calls[-2][2]
    assert "postal_code" not in sent and sent["is_default"] is False


def test_the_profile_and_the_edit_page_show_the_stored_values(site):
    site.answers["GET", "/users/me"] = answer(200, {"id": "u1", "email": "a@b.test",
                                                    "phone": None, "nickname": "小明",
                                                    "created_at": "2026-12-02T16:30:00+00:00"})
    site.answers["GET", "/users/me/addresses/addr_1"] = answer(200, ADDRESS)
    profile = site.get("/account").get_data(as_text=True)
    assert "a@b.test" in profile and 'value="小明"' in profile and "2026-12-02 16:30" in profile
    edit = site.get("/account/addresses/addr_1/edit").get_data(as_text=True)
    assert 'value="漕溪北路 88 号"' in edit and "checked" in edit


def test_a_line_short_of_stock_is_marked_and_checkout_is_held(site):
    site.answers["GET", "/cart"] = answer(200, CART)
    html = site.get("/cart").get_data(as_text=True)
    assert "仅剩 1 件" in html
    assert 'href="/checkout"' not in html
    assert "¥60.00" in html and "¥10.00" in html
