"""The admin console's pages against a stand-in for the gateway: who may open them, what
a form sends to the API, and how a refusal comes back beside its field with what was
typed (the browser tests in tests/e2e/test_web_admin.py drive the real stack)."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from shop_web import gateway_client
from shop_web.app import create_app
from shop_web.gateway_client import ApiProblem

CATEGORIES = {"items": [{"id": 1, "name": "家电", "name_en": "Appliances", "level": 1,
                         "children": [{"id": 7, "name": "厨房电器", "name_en": "Kitchen",
                                       "level": 2, "children": []}]}]}
SHIPMENT = {"id": "shp_1", "order_id": "ord_1", "user_id": "u9", "return_id": None,
            "status": "ready", "lines": [{"sku": "MUG", "quantity": 1}], "timeline": [],
            "ready_at": "2026-12-02T10:00:00+00:00", "shipping_address": None}


class FakeApi:
    """Answers by (method, path); records what was sent."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = {("GET", "/categories"): CATEGORIES}
        self.sent: list[tuple[str, str, Any, dict]] = []

    def __call__(self, method: str, path: str, *, json: Any = None,
                 params: dict | None = None, **_: Any) -> Any:
        self.sent.append((method, path, json, params or {}))
        answer = self.answers[(method, path)]
        if isinstance(answer, ApiProblem):
            raise answer
        return answer


@pytest.fixture
def fake(monkeypatch) -> FakeApi:
    stand_in = FakeApi()
    monkeypatch.setattr(gateway_client, "call", stand_in)
    return stand_in


@pytest.fixture
def client():
    return create_app({"TESTING": True}).test_client()


def signed_in(client, *roles: str) -> None:
    # The pages read the token without checking it (the API checks it on every call).
    token = jwt.encode({"sub": "u1", "roles": list(roles)}, "k" * 32, algorithm="HS256")
    with client.session_transaction() as session:
        session["access_token"] = token


def test_a_guest_is_sent_to_sign_in_and_a_customer_is_refused(client, fake):
    guest = client.get("/admin/products")
    assert guest.status_code == 302
    assert guest.headers["Location"].startswith("/account/sign-in?next=/admin/products")
    signed_in(client, "customer")
    refused = client.get("/admin/products")
    assert refused.status_code == 403 and "没有权限访问此页面" in refused.text
    assert fake.sent == [], "no page of the console asked the API anything"


def new_product_form(**changes: str) -> dict[str, str]:
    form = {"sku_rows": "2", "name": "保温杯", "brand": "小铺", "category_id": "7",
            "description": "", "skus.0.sku": "CUP-1", "skus.0.price": "88.50",
            "skus.0.stock": "7", "skus.0.attributes": "颜色:白色, 容量：500ml",
            "skus.1.sku": "", "skus.1.price": "", "skus.1.stock": "", "skus.1.attributes": ""}
    return {**form, **changes}


def test_a_new_product_goes_to_the_api_in_fen_with_its_attributes(client, fake):
    signed_in(client, "admin")
    fake.answers[("POST", "/admin/products")] = {"id": 42, "name": "保温杯"}
    answer = client.post("/admin/products/new", data=new_product_form())
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/products/42"
    body = next(json for method, path, json, _ in fake.sent if method == "POST")
    assert body == {"name": "保温杯", "brand": "小铺", "description": "", "category_id": 7,
                    "skus": [{"sku": "CUP-1", "price": {"amount": 8850, "currency": "CNY"},
                              "attributes": {"颜色": "白色", "容量": "500ml"}, "stock": 7}]}


def test_a_mistyped_price_is_shown_by_its_field_and_nothing_is_sent(client, fake):
    signed_in(client, "admin")
    answer = client.post("/admin/products/new",
                         data=new_product_form(**{"skus.0.price": "88.505", "name": "杯子X"}))
    assert answer.status_code == 422
    assert 'id="f-skus-0-price-error"' in answer.text and "请输入金额" in answer.text
    assert 'value="杯子X"' in answer.text and 'value="88.505"' in answer.text
    assert [sent[:2] for sent in fake.sent] == [("GET", "/categories")]


def test_the_apis_refusal_to_ship_sits_by_the_tracking_number(client, fake):
    signed_in(client, "admin")
    fake.answers[("POST", "/admin/shipments/shp_1/ship")] = ApiProblem(
        422, "Invalid request", fields={"tracking_number": ["4-40 letters, digits or dashes"]})
    fake.answers[("GET", "/admin/shipments")] = {"items": [SHIPMENT], "next_cursor": None}
    answer = client.post("/admin/shipments/shp_1/ship", data={
        "carrier": "zto", "tracking_number": "x", "back": "/admin/shipments?status=ready"})
    assert answer.status_code == 422
    assert 'id="tracking-shp_1-error"' in answer.text and "4-40 letters" in answer.text
    assert '<option value="zto" selected>' in answer.text, "the carrier chosen is kept"
    listed = [params for method, path, _, params in fake.sent if path == "/admin/shipments"]
    assert listed[-1]["status"] == "ready", "the list it came from, with its filter"


def test_the_reconciliation_of_a_day_is_a_table_by_method(client, fake):
    signed_in(client, "admin")
    fake.answers[("GET", "/admin/reconciliation")] = {
        "date": "2026-12-01", "currency": "CNY",
        "by_method": {"balance": {"payments": 3, "payments_amount": 12990, "refunds": 1,
                                  "refunds_amount": 2990}},
        "orders_paid": {"count": 3, "amount": 12990},
        "payments_received": {"count": 3, "amount": 12990}, "mismatches": []}
    answer = client.get("/admin/reconciliation?date=2026-12-01")
    assert answer.status_code == 200
    assert "2026-12-01 对账单" in answer.text and "¥129.90" in answer.text
    assert "账目一致" in answer.text
    assert fake.sent[-1][3]["date"] == "2026-12-01"
