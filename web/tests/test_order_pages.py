"""My orders and after-sales pages against a stand-in for the gateway's API: what each
page shows for an order's status, and that a refusal keeps what the shopper typed."""

from __future__ import annotations

from typing import Any

import pytest

from shop_web import gateway_client
from shop_web.app import create_app

ORDER = {
    "id": "ord_0123456789abcdef012345", "status": "delivered", "delivery_method": "express",
    "total": {"amount": 14900, "currency": "CNY"}, "refunded_amount": {"amount": 0,
                                                                       "currency": "CNY"},
    "shipping_address": {"recipient": "韩梅梅", "phone": "13900139000", "province": "上海市",
                         "city": "上海市", "district": "徐汇区", "detail": "漕溪北路 88 号"},
    "payment": {"method": "balance", "cash_on_delivery": False},
    "lines": [{"sku": "KETTLE-1", "product_id": 7, "quantity": 1,
               "unit_price": {"amount": 9900, "currency": "CNY"},
               "subtotal": {"amount": 9900, "currency": "CNY"}}],
    "timeline": [{"status": "pending", "note": "placed", "at": "2026-12-02T08:00:00+00:00"},
                 {"status": "delivered", "note": "", "at": "2026-12-02T09:00:00+00:00"}],
    "created_at": "2026-12-02T08:00:00+00:00", "payment_due_at": None,
}
PRODUCT = {"id": 7, "name": "米家电水壶", "brand": "小米", "images": [],
           "skus": [{"sku": "KETTLE-1", "attributes": {"颜色": "白色"}}]}
TRACKING = {"shipments": [{"status": "delivered", "carrier": "sf", "tracking_number": "SF1",
                           "estimated_delivery": "2026-12-03", "timeline": [
                               {"status": "in_transit", "location": "上海", "at":
                                "2026-12-02T08:30:00+00:00"}]}]}


class FakeApi:
    """Answers by path; a path in ``refusals`` raises that problem instead."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.refusals: dict[str, gateway_client.ApiProblem] = {}
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, method: str, path: str, *, json: Any = None, **_: Any) -> Any:
        self.sent.append((method, path, json))
        if path in self.refusals:
            raise self.refusals[path]
        return self.answers[path]


@pytest.fixture
def fake(monkeypatch) -> FakeApi:
    api = FakeApi({f"/orders/{ORDER['id']}": ORDER, "/products/7": PRODUCT,
                   f"/orders/{ORDER['id']}/tracking": TRACKING,
                   "/products/7/reviews": {"items": []},
                   "/orders": {"items": [ORDER], "next_cursor": "ord_x"}})
    monkeypatch.setattr(gateway_client, "call", api)
    return api


@pytest.fixture
def client():
    return create_app({"TESTING": True}).test_client()


def test_the_order_list_shows_status_names_totals_and_the_next_page(fake, client):
    page = client.get("/orders").get_data(as_text=True)
    assert "已送达" in page and "¥149.00" in page and "米家电水壶" in page
    assert "/orders?cursor=ord_x" in page


def test_a_delivered_order_offers_receipt_review_and_after_sales_not_cancel(fake, client):
    page = client.get(f"/orders/{ORDER['id']}").get_data(as_text=True)
    assert "确认收货" in page and "发表评价" in page and "申请售后" in page
    assert "取消订单" not in page and "去支付" not in page
    assert "顺丰速运" in page and "SF1" in page and "运输中" in page, "the tracking timeline"


def test_a_reviewed_product_offers_no_second_review(fake, client):
    fake.answers["/products/7/reviews"] = {"items": [{"order_id": ORDER["id"]}]}
    page = client.get(f"/orders/{ORDER['id']}").get_data(as_text=True)
    assert "已评价" in page and "发表评价" not in page


def test_a_refused_review_is_explained_and_keeps_the_text(fake, client):
    fake.refusals["/reviews"] = gateway_client.ApiProblem(
        409, "This product of this order has been reviewed already",
        type="urn:shop:problem:already-reviewed")
    answer = client.post(f"/orders/{ORDER['id']}/reviews",
                         data={"product_id": "7", "rating": "3", "text": "还不错"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "每件商品只能评价一次" in page
    assert "还不错</textarea>" in page
    assert 'value="3" checked' in page
    assert fake.sent[0][2] == {"order_id": ORDER["id"], "product_id": 7, "rating": 3,
                               "text": "还不错"}


def test_a_refused_cancel_says_why_and_keeps_the_reason(fake, client):
    fake.refusals[f"/orders/{ORDER['id']}/cancel"] = gateway_client.ApiProblem(
        409, "The order can no longer be cancelled", type="urn:shop:problem:order-not-cancellable")
    answer = client.post(f"/orders/{ORDER['id']}/cancel", data={"reason": "买错了"})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "订单已发货，不能再取消" in page and 'value="买错了"' in page


def test_a_return_request_sends_only_the_chosen_lines(fake, client):
    fake.answers["/returns"] = {"id": "ret_1"}
    answer = client.post(f"/orders/{ORDER['id']}/returns", data={
        "type": "return_refund", "quantity-0": "1", "reason": "坏了", "idempotency_key": "k1"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/returns/ret_1"
    assert ("POST", "/returns", {"order_id": ORDER["id"], "type": "return_refund",
                                 "lines": [{"sku": "KETTLE-1", "quantity": 1}],
                                 "reason": "坏了"}) in fake.sent


def test_only_an_order_awaiting_a_payment_now_offers_to_pay(fake, client):
    unpaid = {**ORDER, "status": "awaiting_payment", "payment": None,
              "payment_due_at": "2026-12-02T08:30:00+00:00"}
    fake.answers[f"/orders/{ORDER['id']}"] = unpaid
    page = client.get(f"/orders/{ORDER['id']}").get_data(as_text=True)
    assert f'href="/orders/{ORDER["id"]}/pay"' in page and "取消订单" in page
    fake.answers[f"/orders/{ORDER['id']}"] = {**unpaid, "payment": {
        "method": "cod", "cash_on_delivery": True}}
    page = client.get(f"/orders/{ORDER['id']}").get_data(as_text=True)
    assert "/pay" not in page, "cash on delivery is paid at the door"
