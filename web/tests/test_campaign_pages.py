"""The group-buy (拼团) and flash-sale (秒杀) pages against a stand-in for the gateway: the
campaigns with prices and countdowns on the server's clock, starting and joining a group
(one order per form, then its pay page; a refusal beside the form), the flash sessions
(progress, limits), the gate's answers (a win goes to the attempt, a loss is told on the
item), the attempt polled until its order can be paid; the links from the home and
product pages (the browser tests in tests/e2e/test_web_campaigns.py drive the real stack).
"""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest

from shop_web import gateway_client
from shop_web.app import create_app
from shop_web.campaigns import clock, countdown, duration_words, seconds_between
from shop_web.flash_pages import progress
from shop_web.gateway_client import ApiProblem

NOW = "2026-12-03T10:00:00+00:00"


def money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


CAMPAIGN = {"id": "gbc_1", "name": "电饭煲三人团", "sku": "RICE-COOKER-3L", "product_id": 3,
            "group_price": money(19900), "list_price": money(29900), "group_size": 3,
            "fill_seconds": 86400, "per_user_limit": 1, "starts_at": "2026-12-01T00:00:00+00:00",
            "ends_at": "2026-12-05T10:00:00+00:00", "status": "active",
            "open_groups": [{"id": "grp_9", "needed": 2,
                             "expires_at": "2026-12-03T11:02:05+00:00"}]}
GROUP = {"id": "grp_9", "campaign_id": "gbc_1", "sku": "RICE-COOKER-3L", "product_id": 3,
         "group_price": money(19900), "size": 3, "needed": 2, "status": "open",
         "expires_at": "2026-12-03T11:02:05+00:00", "server_time": NOW,
         "members": [{"user": "usr***ab", "paid": True, "leader": True}]}
PRODUCT = {"id": 3, "name": "米家电饭煲 3L", "images": [], "brand": "米家",
           "skus": [{"sku": "RICE-COOKER-3L", "price": money(29900), "available": 50},
                    {"sku": "KETTLE", "price": money(9900), "available": 5}]}
SESSION = {"id": "fls_1", "name": "20点场", "starts_at": "2026-12-03T09:00:00+00:00",
           "ends_at": "2026-12-03T12:00:00+00:00", "payment_seconds": 300, "state": "running",
           "server_time": NOW,
           "items": [{"sku": "KETTLE", "product_id": 3, "flash_price": money(4900),
                      "quantity": 20, "remaining": 5, "per_user_limit": 1,
                      "stock_status": "held"}]}
ADDRESSES = [{"id": "a1", "is_default": True, "recipient": "韩梅梅", "phone": "139",
              "province": "上海市", "city": "上海市", "district": "徐汇区", "detail": "88 号"}]
ORDER = {"id": "ord_1", "status": "awaiting_payment", "total": money(19900), "lines": [],
         "payment": None, "timeline": [], "payment_due_at": None,
         "campaign": {"kind": "group_buy", "campaign_id": "gbc_1", "group_id": "grp_9"}}


class FakeApi:
    """Answers by (method, path); an answer that is a problem is raised; records what was
    sent (method, path, body, params, headers)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = {
            ("GET", "/group-buys"): {"items": [CAMPAIGN], "server_time": NOW},
            ("GET", "/group-buys/gbc_1"): {**CAMPAIGN, "server_time": NOW},
            ("GET", "/group-buys/groups/grp_9"): GROUP,
            ("GET", "/products/3"): PRODUCT,
            ("GET", "/flash-sales"): {"items": [SESSION], "server_time": NOW},
            ("GET", "/users/me/addresses"): ADDRESSES,
            ("GET", "/orders/ord_1"): ORDER,
            ("GET", "/payments"): [],
            ("GET", "/wallet"): {"balance": money(100000)},
            ("GET", "/promotions"): {"items": []},
            ("GET", "/categories"): {"items": []},
            ("GET", "/products"): {"items": []},
        }
        self.sent: list[tuple[str, str, Any, dict, dict]] = []

    def __call__(self, method: str, path: str, *, json: Any = None,
                 params: dict | None = None, headers: dict | None = None, **_: Any) -> Any:
        self.sent.append((method, path, json, params or {}, headers or {}))
        answer = self.answers[(method, path)]
        if isinstance(answer, ApiProblem):
            raise answer
        return answer

    def posts(self, path: str) -> list[tuple[Any, dict]]:
        return [(s[2], s[4]) for s in self.sent if s[0] == "POST" and s[1] == path]


def sign_in(client) -> None:
    token = jwt.encode({"sub": "u1", "roles": []}, "k" * 32, algorithm="HS256")
    with client.session_transaction() as session:
        session["access_token"] = token


@pytest.fixture
def fake(monkeypatch) -> FakeApi:
    stand_in = FakeApi()
    monkeypatch.setattr(gateway_client, "call", stand_in)
    return stand_in


@pytest.fixture
def client():
    return create_app({"TESTING": True}).test_client()


def problem(status: int, slug: str, **fields: list[str]) -> ApiProblem:
    return ApiProblem(status, slug, type=f"urn:shop:problem:{slug}", fields=dict(fields))


# -- countdowns and figures ----------------------------------------------------------------

def test_countdowns_run_on_the_servers_clock():
    with create_app({"TESTING": True}).test_request_context("/"):
        _countdowns()
        assert duration_words(86400) == "24小时" and duration_words(90) == "90秒"


def _countdowns() -> None:
    assert seconds_between(NOW, "2026-12-03T11:02:05Z") == 3725
    assert seconds_between(NOW, "2026-12-03T09:00:00+00:00") == 0
    assert clock(3725) == "01:02:05" and clock(90061).endswith("01:01:01")
    timer = countdown("2026-12-03T11:02:05+00:00", NOW)
    assert timer.seconds == 3725 and timer.deadline.startswith("2026-12-03T11")


def test_progress_and_durations():
    assert progress({"quantity": 20, "remaining": 5}) == {"left": 5, "total": 20, "percent": 75}
    assert progress({"quantity": 0, "remaining": 0})["percent"] == 100
    assert progress({"quantity": 3, "remaining": 9})["left"] == 3


# -- group buys ----------------------------------------------------------------------------

def test_the_running_group_buys_show_prices_open_groups_and_countdowns(client, fake):
    page = client.get("/group-buys").text
    assert "米家电饭煲 3L" in page and "¥199.00" in page and "3人团" in page
    assert '<s class="price-was"' in page and "¥299.00" in page
    assert "还差2人" in page and "剩余 01:02:05" in page
    assert 'data-deadline="2026-12-03T11:02:05+00:00"' in page
    assert f'data-server-time="{NOW}"' in page and "js/countdown.js" in page
    assert 'href="/group-buys/groups/grp_9"' in page and 'href="/group-buys/gbc_1"' in page


def test_a_guest_is_asked_to_sign_in_before_starting(client, fake):
    page = client.get("/group-buys/gbc_1").text
    assert "登录后参与" in page and 'name="address_id"' not in page
    answer = client.post("/group-buys/gbc_1/start", data={"address_id": "a1"})
    assert answer.status_code == 302 and "/account/sign-in" in answer.headers["Location"]
    assert not fake.posts("/group-buys/gbc_1/groups")


def test_starting_a_group_places_one_order_and_goes_to_its_pay_page(client, fake):
    sign_in(client)
    page = client.get("/group-buys/gbc_1").text
    assert 'value="a1" checked' in page and "不支持货到付款" in page
    fake.answers[("POST", "/group-buys/gbc_1/groups")] = {
        "group": {**GROUP, "needed": 2}, "order": ORDER}
    form = {"address_id": "a1", "delivery_method": "express", "idempotency_key": "k-1"}
    answer = client.post("/group-buys/gbc_1/start", data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == "/orders/ord_1/pay"
    [(body, headers)] = fake.posts("/group-buys/gbc_1/groups")
    assert body == {"address_id": "a1", "delivery_method": "express", "quantity": 1}
    assert headers == {"Idempotency-Key": "k-1"}
    pay = client.get("/orders/ord_1/pay").text
    assert "拼团已发起，团号 grp_9" in pay
    assert 'value="cod"' not in pay and 'value="balance"' in pay


def test_the_group_page_shows_members_places_and_the_join_form(client, fake):
    sign_in(client)
    page = client.get("/group-buys/groups/grp_9").text
    assert "拼团中" in page and "还差2人" in page and "usr***ab" in page and "团长" in page
    assert page.count("待加入") == 2 and "参与拼团" in page and "¥299.00" in page
    fake.answers[("POST", "/group-buys/groups/grp_9/join")] = {"group": GROUP, "order": ORDER}
    answer = client.post("/group-buys/groups/grp_9/join",
                         data={"address_id": "a1", "delivery_method": "standard",
                               "idempotency_key": "k-2"})
    assert answer.headers["Location"] == "/orders/ord_1/pay"


def test_a_full_group_refuses_beside_the_form_keeping_the_choice(client, fake):
    sign_in(client)
    fake.answers[("POST", "/group-buys/groups/grp_9/join")] = problem(409, "group-not-joinable")
    answer = client.post("/group-buys/groups/grp_9/join",
                         data={"address_id": "a1", "delivery_method": "pickup",
                               "idempotency_key": "k-3"})
    assert answer.status_code == 409
    assert "这个团已满或已结束" in answer.text and 'value="k-3"' in answer.text
    assert 'value="pickup" selected' in answer.text
    fake.answers[("POST", "/group-buys/gbc_1/groups")] = problem(409, "group-buy-limit-reached")
    limited = client.post("/group-buys/gbc_1/start", data={"address_id": "a1"})
    assert limited.status_code == 409 and "已达每人上限" in limited.text


def test_a_finished_group_offers_to_start_another(client, fake):
    fake.answers[("GET", "/group-buys/groups/grp_9")] = {
        **GROUP, "status": "failed", "needed": 1}
    page = client.get("/group-buys/groups/grp_9").text
    assert "拼团失败" in page and "原路退款" in page and "参与拼团" not in page
    assert "自己发起一个团" in page


def test_the_paid_result_links_back_to_the_group(client, fake):
    sign_in(client)
    fake.answers[("GET", "/orders/ord_1")] = {**ORDER, "status": "paid"}
    page = client.get("/orders/ord_1/result").text
    assert 'href="/group-buys/groups/grp_9"' in page and "查看拼团进度" in page


# -- flash sales ---------------------------------------------------------------------------

def test_the_sessions_show_price_progress_limit_and_countdown(client, fake):
    sign_in(client)
    page = client.get("/flash-sales").text
    assert "20点场" in page and "抢购中" in page and "¥49.00" in page and "¥99.00" in page
    assert "剩余 5 / 20 件" in page and 'value="75"' in page and "每人限购 1 件" in page
    assert "距结束 02:00:00" in page and "立即抢购" in page
    assert 'formaction="/flash-sales/fls_1/items/KETTLE/attempts"' in page
    assert 'name="quantity.KETTLE"' not in page  # one per person: nothing to choose


def test_an_item_of_a_higher_limit_takes_a_quantity(client, fake):
    sign_in(client)
    item = {**SESSION["items"][0], "per_user_limit": 3, "remaining": 2}
    fake.answers[("GET", "/flash-sales")] = {"server_time": NOW,
                                             "items": [{**SESSION, "items": [item]}]}
    page = client.get("/flash-sales").text
    assert 'name="quantity.KETTLE"' in page and '<option value="2">' in page
    assert '<option value="3">' not in page  # only two left
    fake.answers[("POST", "/flash-sales/fls_1/items/KETTLE/attempts")] = {
        "attempt_id": "fsa_2", "status": "pending", "server_time": NOW}
    client.post("/flash-sales/fls_1/items/KETTLE/attempts",
                data={"address_id": "a1", "quantity.KETTLE": "2"})
    assert fake.posts("/flash-sales/fls_1/items/KETTLE/attempts")[0][0]["quantity"] == 2


def test_a_press_sends_its_forms_key_so_a_second_press_is_the_same_attempt(client, fake):
    sign_in(client)
    page = client.get("/flash-sales").text
    [key] = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key not in client.get("/flash-sales").text, "each shown form has a key of its own"
    fake.answers[("POST", "/flash-sales/fls_1/items/KETTLE/attempts")] = {
        "attempt_id": "fsa_3", "status": "pending", "server_time": NOW}
    for _ in range(2):  # the same form pressed twice
        client.post("/flash-sales/fls_1/items/KETTLE/attempts",
                    data={"address_id": "a1", "idempotency_key": key})
    sent = fake.posts("/flash-sales/fls_1/items/KETTLE/attempts")
    assert [headers.get("Idempotency-Key") for _, headers in sent] == [key, key]


def test_an_upcoming_or_sold_out_item_cannot_be_pressed(client, fake):
    fake.answers[("GET", "/flash-sales")] = {"server_time": NOW, "items": [
        {**SESSION, "state": "upcoming", "starts_at": "2026-12-03T10:00:30+00:00"},
        {**SESSION, "id": "fls_2", "items": [{**SESSION["items"][0], "remaining": 0}]}]}
    page = client.get("/flash-sales").text
    assert "距开始 00:00:30" in page and "未开始" in page and "已抢光" in page
    assert page.count("disabled") == 2


def test_a_won_attempt_goes_to_its_page_which_polls_then_pays(client, fake):
    sign_in(client)
    fake.answers[("POST", "/flash-sales/fls_1/items/KETTLE/attempts")] = {
        "attempt_id": "fsa_1", "status": "pending", "server_time": NOW}
    answer = client.post("/flash-sales/fls_1/items/KETTLE/attempts",
                         data={"address_id": "a1", "delivery_method": "standard"})
    assert answer.headers["Location"] == "/flash-sales/attempts/fsa_1"
    assert fake.posts("/flash-sales/fls_1/items/KETTLE/attempts")[0][0] == {
        "quantity": 1, "address_id": "a1", "delivery_method": "standard"}
    attempt = {"attempt_id": "fsa_1", "session_id": "fls_1", "sku": "KETTLE", "quantity": 1,
               "status": "pending", "reason": None, "order_id": None}
    fake.answers[("GET", "/flash-sales/attempts/fsa_1")] = attempt
    waiting = client.get("/flash-sales/attempts/fsa_1").text
    assert "正在为您生成订单" in waiting and 'hx-trigger="every 1s"' in waiting
    assert 'http-equiv="refresh"' in waiting
    fake.answers[("GET", "/flash-sales/attempts/fsa_1")] = {
        **attempt, "status": "ordered", "order_id": "ord_1"}
    plain = client.get("/flash-sales/attempts/fsa_1")
    assert plain.status_code == 303 and plain.headers["Location"] == "/orders/ord_1/pay"
    polled = client.get("/flash-sales/attempts/fsa_1", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and polled.headers["HX-Redirect"] == "/orders/ord_1/pay"


@pytest.mark.parametrize(("slug", "words"), [("sold-out", "手慢了，已抢光"),
                                             ("limit-reached", "已达每人限购数量"),
                                             ("not-started", "秒杀还未开始"),
                                             ("ended", "秒杀已结束")])
def test_the_gates_refusals_are_told_on_the_item(client, fake, slug, words):
    sign_in(client)
    fake.answers[("POST", "/flash-sales/fls_1/items/KETTLE/attempts")] = problem(409, slug)
    answer = client.post("/flash-sales/fls_1/items/KETTLE/attempts", data={"address_id": "a1"})
    assert answer.status_code == 409 and words in answer.text
    assert 'data-testid="flash-refused"' in answer.text


@pytest.mark.parametrize(("status", "words"), [("cancelled", "超时未支付"),
                                               ("rejected", "收货地址无效"),
                                               ("sold_out", "已抢光")])
def test_an_attempt_that_ended_says_why(client, fake, status, words):
    sign_in(client)
    fake.answers[("GET", "/flash-sales/attempts/fsa_1")] = {
        "attempt_id": "fsa_1", "sku": "KETTLE", "quantity": 1, "status": status,
        "reason": "unknown-address" if status == "rejected" else None, "order_id": None}
    page = client.get("/flash-sales/attempts/fsa_1").text
    assert words in page and "every 1s" not in page


# -- links from the shop -------------------------------------------------------------------

def test_the_home_and_product_pages_link_to_running_campaigns(client, fake):
    home = client.get("/").text
    assert 'href="/group-buys"' in home and "1 个拼团进行中" in home and "1 场秒杀" in home
    fake.answers[("GET", "/products/3")] = {**PRODUCT, "category_path": [], "sales_count": 0,
                                            "rating": None, "reviews": None, "specs": {}}
    product = client.get("/products/3").text
    assert 'href="/group-buys/gbc_1"' in product and "拼团价 ¥199.00" in product
    assert "秒杀价 ¥49.00" in product


def test_the_pages_work_when_marketing_does_not_answer(client, fake):
    down = ApiProblem(503, "down")
    fake.answers[("GET", "/group-buys")] = down
    fake.answers[("GET", "/flash-sales")] = down
    assert client.get("/").status_code == 200
