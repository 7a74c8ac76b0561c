"""The marketing and membership pages against a stand-in for the gateway: the words of
offers and refusals, the coupon centre, my coupons, the member centre, the cart's and the
checkout's breakdown (coupon and points refused beside their fields), the order's
breakdown (the browser tests in tests/e2e/test_web_marketing.py drive the real stack)."""

from __future__ import annotations

import copy
from typing import Any

import jwt
import pytest

from shop_web import gateway_client
from shop_web.app import create_app
from shop_web.checkout_pricing import OfferChoice, preview_body
from shop_web.gateway_client import ApiProblem
from shop_web.marketing_pages import progress_of
from shop_web.offers import (
    applies_to,
    coupon_face,
    coupon_terms,
    problem_words,
    promotion_terms,
    zhe,
)


def money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


TEMPLATE = {"id": "ct_1", "name": "新人券", "kind": "amount_off", "amount_off": money(1000),
            "percent_off": None, "max_discount": None, "min_spend": money(10000),
            "scope": {"kind": "all"}, "valid_from": None, "valid_until": None, "valid_days": 7,
            "total_quantity": 100, "issued": 10, "remaining": 90, "per_user_limit": 1,
            "member_levels": None, "claimable": True, "exclusion_group": None, "priority": 0,
            "stacks_with_promotions": True, "status": "active"}
PROMOTION = {"id": "pr_1", "name": "双十二满减", "kind": "full_reduction",
             "scope": {"kind": "all"}, "tiers": [{"threshold": money(30000), "off": money(4000)},
                                                 {"threshold": money(50000),
                                                  "off": money(8000)}],
             "percent": None, "member_percents": None, "starts_at": "2026-12-01T00:00:00+00:00",
             "ends_at": "2026-12-31T00:00:00+00:00", "exclusion_group": None, "priority": 0,
             "status": "active"}
USER_COUPON = {"id": "uc_1", "template_id": "ct_1", "status": "available",
               "valid_from": "2026-12-01T00:00:00+00:00",
               "valid_until": "2026-12-08T00:00:00+00:00", "order_id": None,
               "issued_at": "2026-12-01T00:00:00+00:00", "source": "claim", "template": TEMPLATE}
QUOTED_COUPON = {"id": "uc_1", "user_coupon_id": "uc_1", "template_id": "ct_1",
                 "name": "新人券", "kind": "amount_off", "discount": money(1000)}
QUOTE = {
    "currency": "CNY", "subtotal": money(27700), "discount_total": money(1000),
    "shipping": money(0), "points_used": 500, "points_value": money(500),
    "payable": money(26200),
    "adjustments": [{"kind": "coupon", "source_id": "uc_1", "label": "新人券",
                     "amount": money(1000)},
                    {"kind": "points", "source_id": None, "label": "积分抵扣",
                     "amount": money(500)}],
    "lines": [], "applied_coupon": QUOTED_COUPON,
    "coupons": {"usable": [QUOTED_COUPON],
                "unusable": [{"id": "uc_2", "name": "满500减50", "reason":
                              "min_spend_not_reached"}]},
    "best_coupon": QUOTED_COUPON,
    "promotions": [{"id": "pr_1", "kind": "full_reduction", "name": "双十二满减",
                    "applied": False, "discount": money(0)}],
    "next_tier": {"promotion_id": "pr_1", "threshold": money(30000), "off": money(4000),
                  "missing": money(2300), "hint": "再买 ¥23.00 可减 ¥40.00"},
    "points": {"balance": 800, "requested": 500, "used": 500, "max_usable": 800},
    "member_level": "regular"}
CART = {"lines": [{"sku": "MUG", "name": "马克杯", "quantity": 1, "in_stock": True,
                   "available": 50, "unit_price": money(27700), "subtotal": money(27700),
                   "attributes": {}, "image": None, "category": ""}],
        "totals": {"items": 1, "subtotal": money(27700), "shipping_estimate": money(0),
                   "total": money(27700)},
        "pricing": QUOTE}
MEMBER = {"level": {"code": "silver", "name": "白银会员", "min_growth": 1000}, "growth": 1800,
          "next_level": {"code": "gold", "name": "黄金会员", "min_growth": 5000,
                         "growth_missing": 3200},
          "progress_percent": 20, "points": {"balance": 800, "locked": 100, "debt": 0},
          "perks": {"free_shipping_threshold": money(7900), "member_prices": True},
          "history": {"items": [{"id": "1", "kind": "earn", "order_id": "ord_1", "delta": 300,
                                 "balance_after": 800, "at": "2026-12-01T00:00:00+00:00"}],
                      "next_cursor": None}}
ORDER = {"id": "ord_1", "status": "paid", "delivery_method": "standard", "total": money(26200),
         "refunded_amount": money(0), "shipping_address": None, "payment": None,
         "discount_total": money(1000), "shipping": money(0), "points_used": 500,
         "adjustments": QUOTE["adjustments"], "timeline": [], "created_at": None,
         "lines": [{"sku": "MUG", "product_id": None, "quantity": 1,
                    "unit_price": money(27700), "subtotal": money(27700),
                    "payable": money(26200)}]}


class FakeApi:
    """Answers by (method, path); an answer that is a problem is raised; records what was
    sent. ``previews``: answers of POST /checkout/preview in turn."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = {
            ("GET", "/coupons"): {"items": [TEMPLATE], "next_cursor": None},
            ("GET", "/promotions"): {"items": [PROMOTION]},
            ("GET", "/users/me/coupons"): {"items": [USER_COUPON], "next_cursor": None},
            ("GET", "/users/me/membership"): MEMBER,
            ("GET", "/cart"): CART,
            ("GET", "/users/me/addresses"): [{"id": "a1", "is_default": True,
                                              "recipient": "韩梅梅"}],
            ("GET", "/wallet"): {"balance": money(100000)},
            ("GET", "/orders/ord_1"): ORDER,
            ("GET", "/payments"): [],
            # the home page's campaign banner (tests/test_campaign_pages.py covers it)
            ("GET", "/group-buys"): {"items": [], "server_time": None},
            ("GET", "/flash-sales"): {"items": [], "server_time": None},
        }
        self.previews: list[Any] = []
        self.sent: list[tuple[str, str, Any, dict]] = []

    def __call__(self, method: str, path: str, *, json: Any = None,
                 params: dict | None = None, **_: Any) -> Any:
        self.sent.append((method, path, json, params or {}))
        if (method, path) == ("POST", "/checkout/preview") and self.previews:
            answer = self.previews.pop(0)
        else:
            answer = self.answers[(method, path)]
        if isinstance(answer, ApiProblem):
            raise answer
        return copy.deepcopy(answer)

    def bodies(self, method: str, path: str) -> list[Any]:
        return [body for m, p, body, _ in self.sent if (m, p) == (method, path)]


@pytest.fixture
def fake(monkeypatch) -> FakeApi:
    stand_in = FakeApi()
    monkeypatch.setattr(gateway_client, "call", stand_in)
    return stand_in


@pytest.fixture
def client():
    return create_app({"TESTING": True}).test_client()


@pytest.fixture
def request_context(client):
    with client.application.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        yield


def signed_in(client, *roles: str) -> None:
    token = jwt.encode({"sub": "u1", "roles": list(roles)}, "k" * 32, algorithm="HS256")
    with client.session_transaction() as session:
        session["access_token"] = token


def problem(slug: str, status: int = 409, **body: Any) -> ApiProblem:
    return ApiProblem(status, "refused", type=f"urn:shop:problem:{slug}", body=body)


# -- words ---------------------------------------------------------------------------------

def test_offers_read_as_a_chinese_shop_says_them(request_context):
    assert coupon_face(TEMPLATE) == "满¥100减¥10"
    assert coupon_face({**TEMPLATE, "min_spend": money(0)}) == "立减¥10"
    percent = {**TEMPLATE, "kind": "percent_off", "percent_off": 85,
               "max_discount": money(5000), "min_spend": None}
    assert coupon_face(percent) == "8.5折"
    assert coupon_terms(percent) == ["最高减¥50", "全场通用"]
    assert coupon_face({**TEMPLATE, "kind": "free_shipping"}) == "免运费"
    assert promotion_terms(PROMOTION) == "满¥300减¥40，满¥500减¥80"
    assert promotion_terms({"kind": "member_price", "member_percents": {"gold": 90}}) == (
        "黄金会员 9折")
    assert [zhe(80), zhe(95), zhe(88)] == ["8", "9.5", "8.8"]


def test_refusals_of_the_marketing_api_in_the_shoppers_words(request_context):
    assert problem_words(problem("coupon-sold-out")) == "来晚了，这张券已经抢光了"
    assert problem_words(problem("redeem-code-not-found", 404)) == "兑换码无效，请检查后重试"
    assert problem_words(problem("coupon-not-usable", 422, reason="min_spend_not_reached")) == (
        "该优惠券不能用于本订单：未达到使用门槛")
    as_detail = ApiProblem(422, "x", "expired", "urn:shop:problem:coupon-not-usable")
    assert problem_words(as_detail) == "该优惠券不能用于本订单：已过期"
    odd = ApiProblem(400, "Odd", detail="something new", type="urn:shop:problem:new-thing")
    assert problem_words(odd) == "something new"


def test_which_offers_take_in_a_product():
    kettle = {"id": 7, "brand": "小米", "category_id": 111,
              "category_path": [{"id": 1}, {"id": 11}, {"id": 111}]}
    assert applies_to({"kind": "all"}, kettle)
    assert applies_to({"kind": "categories", "ids": [11]}, kettle), "a subtree counts"
    assert not applies_to({"kind": "categories", "ids": [2]}, kettle)
    assert applies_to({"kind": "brands", "names": ["小米"]}, kettle)
    assert not applies_to({"kind": "products", "ids": [8]}, kettle)


def test_the_way_to_the_next_level():
    assert progress_of(MEMBER) == {"percent": 20, "missing": 3200, "level": "gold"}
    top = {**MEMBER, "next_level": None, "progress_percent": 100}
    assert progress_of(top) == {"percent": 100, "missing": 0, "level": None}


def test_what_the_checkout_sends_for_a_coupon_and_points():
    chosen = OfferChoice(coupon="uc_1", points="300")
    assert chosen.order_fields() == {"coupon_id": "uc_1", "points": 300}
    assert OfferChoice(coupon="none", points="").order_fields() == {"points": 0}
    assert OfferChoice(points="-3").points_number is None
    assert preview_body("express", chosen, "a1") == {
        "delivery_method": "express", "points": 300, "address_id": "a1", "coupon_id": "uc_1"}
    assert preview_body("", OfferChoice(coupon="none")) == {"delivery_method": "standard",
                                                           "points": 0}


# -- the storefront ------------------------------------------------------------------------

def test_the_coupon_centre_sends_a_guest_to_sign_in_and_back(client, fake):
    page = client.get("/coupons")
    assert page.status_code == 200
    for words in ("¥10", "满¥100可用", "登录后领取", "双十二满减"):
        assert words in page.text, words
    claimed = client.post("/coupons/ct_1/claim")
    assert claimed.status_code == 302
    assert claimed.headers["Location"] == "/account/sign-in?next=/coupons"
    assert fake.bodies("POST", "/coupons/ct_1/claim") == []


def test_a_claim_refused_is_said_on_its_coupon(client, fake):
    signed_in(client, "customer")
    fake.answers[("POST", "/coupons/ct_1/claim")] = problem("coupon-limit-reached")
    refused = client.post("/coupons/ct_1/claim")
    assert refused.status_code == 409
    assert "您已领取过这张券" in refused.text and 'data-problem="coupon-limit-reached"' in (
        refused.text)
    fake.answers[("POST", "/coupons/ct_1/claim")] = USER_COUPON
    assert client.post("/coupons/ct_1/claim").headers["Location"] == "/coupons"


def test_a_wrong_redeem_code_stays_in_its_field_with_the_reason(client, fake):
    signed_in(client, "customer")
    fake.answers[("POST", "/coupons/redeem")] = problem("redeem-code-not-found", 404)
    refused = client.post("/coupons/redeem", data={"code": "NOPE-2026"})
    assert refused.status_code == 404
    assert 'value="NOPE-2026"' in refused.text and "兑换码无效" in refused.text
    fake.answers[("POST", "/coupons/redeem")] = USER_COUPON
    redeemed = client.post("/coupons/redeem", data={"code": "GIFT-2026"})
    assert redeemed.headers["Location"] == "/account/coupons"
    assert fake.bodies("POST", "/coupons/redeem")[-1] == {"code": "GIFT-2026"}


def test_my_coupons_by_status_and_the_member_centre(client, fake):
    assert client.get("/account/coupons").status_code == 302
    signed_in(client, "customer")
    mine = client.get("/account/coupons?status=used")
    assert mine.status_code == 200 and "新人券" in mine.text
    assert fake.sent[-1][3]["status"] == "used"
    member = client.get("/account/membership")
    assert member.status_code == 200
    for words in ("白银会员", "距 黄金会员 还差 3200 成长值", "满 ¥79 包邮", "购物获得", "+300"):
        assert words in member.text, words


def test_the_home_page_works_without_marketing(client, fake):
    fake.answers[("GET", "/categories")] = {"items": []}
    fake.answers[("GET", "/products")] = {"items": []}
    assert "双十二满减" in client.get("/").text
    fake.answers[("GET", "/promotions")] = ApiProblem(503, "down")
    home = client.get("/")
    assert home.status_code == 200 and "promotions-banner" not in home.text


def test_the_cart_shows_the_tier_hint_the_best_coupon_and_the_payable(client, fake):
    cart = client.get("/cart").text
    for words in ("再买 ¥23.00 可减 ¥40.00", "推荐使用：新人券，可省 ¥10.00", "1 张优惠券可用",
                  "¥262.00", "-¥10.00"):
        assert words in cart, words
    # The cart relays marketing's coupons as user coupons: the name is the template's.
    held = {"id": "uc_1", "template_id": "ct_1", "template": TEMPLATE, "discount": money(1000)}
    pricing = {k: v for k, v in QUOTE.items() if k != "subtotal"}
    fake.answers[("GET", "/cart")] = {**CART, "pricing": {**pricing, "best_coupon": held}}
    relayed = client.get("/cart").text
    assert "推荐使用：新人券，可省 ¥10.00" in relayed and "¥277.00" in relayed
    fake.answers[("GET", "/cart")] = {**CART, "pricing": None}
    plain = client.get("/cart").text
    assert "¥277.00" in plain and "优惠信息暂时无法计算" in plain


# -- checkout and the order ---------------------------------------------------------------

def test_checkout_preselects_the_best_coupon_and_shows_the_breakdown(client, fake):
    signed_in(client, "customer")
    fake.answers[("POST", "/checkout/preview")] = QUOTE
    page = client.get("/checkout").text
    assert '<option value="uc_1" selected>' in page
    assert "本单最多可用 800 积分" in page and "未达到使用门槛" in page
    assert "积分抵扣" in page and "¥262.00" in page
    assert fake.bodies("POST", "/checkout/preview")[0] == {"delivery_method": "standard",
                                                           "points": 0, "address_id": "a1"}


def test_no_coupon_shows_the_breakdown_without_the_one_the_preview_suggested(client, fake):
    signed_in(client, "customer")
    fake.answers[("POST", "/checkout/preview")] = QUOTE
    answer = client.post("/checkout/preview", headers={"HX-Request": "true"},
                         data={"coupon_id": "none", "points": "500",
                               "delivery_method": "standard", "address_id": "a1"})
    assert "¥272.00" in answer.text and "新人券" not in answer.text
    assert 'data-testid="estimate-note"' in answer.text
    assert fake.bodies("POST", "/checkout/preview")[0] == {
        "delivery_method": "standard", "points": 500, "address_id": "a1"}


def test_coupons_quoted_by_id_only_are_named_from_the_buyers_coupons(client, fake):
    signed_in(client, "customer")
    bare = {"id": "uc_1", "template_id": "ct_1", "discount": money(1000)}
    fake.answers[("POST", "/checkout/preview")] = {
        **QUOTE, "applied_coupon": bare, "coupons": {"usable": [bare], "unusable": []}}
    page = client.get("/checkout").text
    assert '<option value="uc_1" selected>新人券（省 ¥10.00）</option>' in page
    assert any(params.get("status") == "available" for _, path, _, params in fake.sent
               if path == "/users/me/coupons")


def test_htmx_gets_the_summary_and_the_field_messages(client, fake):
    signed_in(client, "customer")
    fake.previews = [problem("not-enough-points", 422), QUOTE]
    answer = client.post("/checkout/preview", headers={"HX-Request": "true"},
                         data={"coupon_id": "uc_1", "points": "9000",
                               "delivery_method": "express", "address_id": "a1"})
    assert answer.status_code == 200
    assert 'id="pricing-summary"' in answer.text and "<html" not in answer.text
    assert 'id="points-error" aria-live="polite" hx-swap-oob="true">积分不足' in answer.text
    first, second = fake.bodies("POST", "/checkout/preview")
    assert first["points"] == 9000 and second["points"] == 0 and second["coupon_id"] == "uc_1"


def test_a_refused_coupon_at_placing_is_said_beside_it_and_nothing_is_lost(client, fake):
    signed_in(client, "customer")
    fake.answers[("POST", "/checkout/preview")] = QUOTE
    fake.answers[("POST", "/orders")] = problem("coupon-not-usable", 422, reason="expired")
    page = client.post("/checkout", data={"coupon_id": "uc_9", "points": "300",
                                          "delivery_method": "pickup", "address_id": "a1",
                                          "payment_method": "balance",
                                          "idempotency_key": "k1"})
    assert page.status_code == 422
    assert fake.bodies("POST", "/orders")[0] == {
        "address_id": "a1", "delivery_method": "pickup", "coupon_id": "uc_9", "points": 300}
    assert "该优惠券不能用于本订单：已过期" in page.text
    assert '<option value="uc_9" selected>' in page.text and 'value="300"' in page.text
    assert 'value="pickup" checked' in page.text and 'value="k1"' in page.text
    assert "coupon_id" not in fake.bodies("POST", "/checkout/preview")[0]


def test_the_order_page_shows_its_breakdown(client, fake):
    signed_in(client, "customer")
    fake.answers[("GET", "/orders/ord_1/tracking")] = {"shipments": []}
    page = client.get("/orders/ord_1").text
    assert 'data-testid="order-breakdown"' in page
    for words in ("优惠券 · 新人券", "-¥10.00", "积分抵扣", "免运费", "实付 ¥262.00"):
        assert words in page, words
