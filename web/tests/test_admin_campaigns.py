"""The console's group buys (拼团活动) and flash sessions (秒杀场次) against a stand-in for the
gateway: what a form sends (fen, UTC times, items), a mistake kept beside its field with
nothing sent, the API's refusal as a banner, the lists, ending early, the console's nav."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from shop_web import gateway_client
from shop_web.app import create_app
from shop_web.gateway_client import ApiProblem


def money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


CAMPAIGN = {"id": "gbc_1", "name": "电饭煲三人团", "sku": "RICE-COOKER-3L", "product_id": 3,
            "group_price": money(19900), "list_price": money(29900), "group_size": 3,
            "fill_seconds": 86400, "per_user_limit": 1, "starts_at": "2026-12-01T00:00:00+00:00",
            "ends_at": "2026-12-05T00:00:00+00:00", "status": "active"}
SESSION = {"id": "fls_1", "name": "20点场", "starts_at": "2026-12-03T12:00:00+00:00",
           "ends_at": "2026-12-03T14:00:00+00:00", "payment_seconds": 300, "state": "upcoming",
           "server_time": "2026-12-03T10:00:00+00:00",
           "items": [{"sku": "KETTLE", "product_id": None, "flash_price": money(4900),
                      "quantity": 20, "remaining": 0, "per_user_limit": 1,
                      "stock_status": "pending"}]}


class FakeApi:
    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = {
            ("GET", "/admin/group-buys"): {"items": [CAMPAIGN], "next_cursor": None},
            ("GET", "/admin/flash-sales"): {"items": [SESSION, {
                **SESSION, "id": "fls_0", "name": "早场", "state": "ended"}],
                "server_time": SESSION["server_time"]},
        }
        self.sent: list[tuple[str, str, Any, dict]] = []

    def __call__(self, method: str, path: str, *, json: Any = None,
                 params: dict | None = None, **_: Any) -> Any:
        self.sent.append((method, path, json, params or {}))
        answer = self.answers[(method, path)]
        if isinstance(answer, ApiProblem):
            raise answer
        return answer

    def bodies(self, method: str) -> list[Any]:
        return [s[2] for s in self.sent if s[0] == method]


@pytest.fixture
def fake(monkeypatch) -> FakeApi:
    stand_in = FakeApi()
    monkeypatch.setattr(gateway_client, "call", stand_in)
    return stand_in


@pytest.fixture
def client():
    client = create_app({"TESTING": True}).test_client()
    token = jwt.encode({"sub": "u1", "roles": ["admin"]}, "k" * 32, algorithm="HS256")
    with client.session_transaction() as session:
        session["access_token"] = token
    return client


def group_form(**changes: str) -> dict[str, str]:
    return {"name": "电饭煲三人团", "sku": "RICE-COOKER-3L", "product_id": "3",
            "group_price": "199", "group_size": "3", "fill_hours": "24", "per_user_limit": "2",
            "starts_at": "", "ends_at": "2026-12-31T23:59", **changes}


def test_the_console_nav_links_both_campaign_lists(client, fake):
    page = client.get("/admin/group-buys").text
    assert 'href="/admin/group-buys" aria-current="page"' in page
    assert 'href="/admin/flash-sales"' in page and "秒杀场次" in page


def test_a_group_buy_goes_to_the_api_in_fen_and_hours(client, fake):
    fake.answers[("POST", "/admin/group-buys")] = CAMPAIGN
    answer = client.post("/admin/group-buys/new", data=group_form())
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/group-buys"
    assert fake.bodies("POST") == [{
        "name": "电饭煲三人团", "sku": "RICE-COOKER-3L", "product_id": 3,
        "group_price": money(19900), "group_size": 3, "fill_hours": 24,
        "ends_at": "2026-12-31T23:59:00+00:00", "per_user_limit": 2}]
    listed = client.get("/admin/group-buys").text
    assert "已创建：电饭煲三人团" in listed and "¥199.00" in listed and "24小时" in listed


def test_group_buy_mistakes_stay_beside_their_fields(client, fake):
    answer = client.post("/admin/group-buys/new", data=group_form(
        group_size="12", group_price="", ends_at="soon"))
    assert answer.status_code == 422
    assert "请输入 2 到 10 之间的整数" in answer.text and "必填" in answer.text
    assert "请输入时间" in answer.text and 'value="12"' in answer.text
    assert not fake.bodies("POST")


def test_the_apis_refusal_is_a_banner(client, fake):
    fake.answers[("POST", "/admin/group-buys")] = ApiProblem(
        422, "The group-buy campaign is not valid", "ends before it starts",
        "urn:shop:problem:invalid-group-buy")
    answer = client.post("/admin/group-buys/new", data=group_form())
    assert answer.status_code == 422 and "ends before it starts" in answer.text


def test_a_group_buy_ends_early_from_the_list(client, fake):
    fake.answers[("PATCH", "/admin/group-buys/gbc_1")] = {**CAMPAIGN, "status": "ended"}
    answer = client.post("/admin/group-buys/gbc_1/end",
                         data={"status": "ended", "back": "/admin/group-buys"})
    assert answer.headers["Location"] == "/admin/group-buys"
    assert fake.bodies("PATCH") == [{"status": "ended"}]
    assert client.post("/admin/group-buys/gbc_1/end", data={}).status_code == 400


def test_a_flash_session_with_its_items(client, fake):
    fake.answers[("POST", "/admin/flash-sales")] = SESSION
    answer = client.post("/admin/flash-sales/new", data={
        "name": "20点场", "starts_at": "2026-12-03T12:00", "ends_at": "2026-12-03T14:00",
        "payment_minutes": "5",
        "items.0.sku": "KETTLE", "items.0.flash_price": "49", "items.0.quantity": "20",
        "items.0.per_user_limit": "1", "items.1.sku": "MUG", "items.1.product_id": "7",
        "items.1.flash_price": "9.9", "items.1.quantity": "100", "items.1.per_user_limit": "2"})
    assert answer.status_code == 303
    [body] = fake.bodies("POST")
    assert body["starts_at"] == "2026-12-03T12:00:00+00:00" and body["payment_minutes"] == 5
    assert body["items"] == [
        {"sku": "KETTLE", "product_id": None, "flash_price": money(4900), "quantity": 20,
         "per_user_limit": 1},
        {"sku": "MUG", "product_id": 7, "flash_price": money(990), "quantity": 100,
         "per_user_limit": 2}]


def test_a_flash_session_needs_a_whole_item(client, fake):
    answer = client.post("/admin/flash-sales/new", data={
        "starts_at": "2026-12-03T12:00", "ends_at": "2026-12-03T14:00",
        "items.0.sku": "KETTLE", "items.0.quantity": "20"})
    assert answer.status_code == 422 and "SKU、秒杀价和数量都要填写" in answer.text
    assert 'value="KETTLE"' in answer.text and not fake.bodies("POST")
    empty = client.post("/admin/flash-sales/new", data={
        "starts_at": "2026-12-03T12:00", "ends_at": "2026-12-03T14:00"})
    assert "至少填写一个秒杀商品" in empty.text


def test_the_flash_list_filters_by_state_and_ends_early(client, fake):
    everything = client.get("/admin/flash-sales").text
    assert "20点场" in everything and "早场" in everything and "备货中" in everything
    upcoming = client.get("/admin/flash-sales?status=upcoming").text
    assert "20点场" in upcoming and "早场" not in upcoming
    assert upcoming.count("提前结束") == 1
    fake.answers[("PATCH", "/admin/flash-sales/fls_1")] = {**SESSION, "state": "ended"}
    ended = client.post("/admin/flash-sales/fls_1/end",
                        data={"status": "ended", "back": "/admin/flash-sales?status=upcoming"})
    assert ended.headers["Location"] == "/admin/flash-sales?status=upcoming"
    assert fake.bodies("PATCH") == [{"status": "ended"}]
