"""My orders and after-sales in a real browser: the shopper follows an order placed and
moved along through the public API (payment, the merchant's shipping, the carrier's
tracking callbacks), and acts on it from the pages."""

from __future__ import annotations

import re

from browser import screenshots, sign_in
from e2e_steps import (
    KETTLE,
    MUG,
    PASSWORD,
    carrier_callback,
    payable_order,
    ship_and_deliver,
    shipment_of,
    sign_up,
    start_payment,
    wait_for_status,
)
from service_runtime.testing.processes import wait_until

LINES = [{"sku": KETTLE, "quantity": 1}, {"sku": MUG, "quantity": 2}]


def shopper_in_browser(stack, http, page, name: str) -> dict[str, str]:
    """A new customer signed in to the storefront in ``page``; their API headers."""
    # Several stacks share this machine's two cores: pages may take longer than the
    # shared 15 s default to load (a bound, not a timing assertion).
    page.context.set_default_timeout(60_000)
    headers = sign_up(stack, name)
    email = http.get(stack.url("/api/v1/users/me"), headers=headers).json()["email"]
    sign_in(page, email, PASSWORD)
    return headers


def paid_order(stack, http, headers: dict) -> dict:
    order = payable_order(stack, http, headers, LINES)
    start_payment(stack, http, headers, order["id"], "balance")
    return wait_for_status(stack, http, order["id"], headers, "paid")


def product_id_of(order: dict, sku: str) -> int:
    return next(line["product_id"] for line in order["lines"] if line["sku"] == sku)


def until_accepted(page, form, button: str, done_text: str, field: str, typed: str) -> None:
    """Submit ``form`` (a function giving its locator) until after-sales accepts it: it
    learns an order's progress from events, a moment after the order service. Each refusal
    meanwhile is shown and keeps what was typed in ``field``, so trying again is one click."""
    def accepted() -> bool:
        with page.expect_navigation():  # the answer's page, not the form still showing
            form().get_by_role("button", name=button).click()
        if page.get_by_text(done_text).count():
            return True
        assert page.get_by_role("alert").is_visible(), "a refusal is explained"
        assert form().get_by_label(field).input_value() == typed, "what was typed is kept"
        return False

    wait_until(accepted, 120, 0.5, f"{done_text!r} after submitting")


def test_the_order_list_and_detail_then_cancelling_an_unpaid_order(stack, http, page):
    shopper = shopper_in_browser(stack, http, page, "lister")
    # Cash on delivery: the order awaits payment without the e2e stack's 30 s payment
    # deadline, which would cancel it under a slow browser before the shopper does.
    order = payable_order(stack, http, shopper, LINES)
    start_payment(stack, http, shopper, order["id"], "cod")
    wait_until(lambda: (http.get(stack.url(f"/api/v1/orders/{order['id']}"), headers=shopper)
                        .json()["payment"] or {}).get("cash_on_delivery"),
               60, 0.3, "the order to learn it is paid at the door")

    page.get_by_role("link", name="我的订单").click()
    card = page.locator(f"[data-order-id='{order['id']}']")
    assert card.get_by_test_id("order-status").inner_text() == "待付款"
    assert "¥149.00" in card.inner_text()
    assert card.get_by_role("link", name="去支付").count() == 0, "paid at the door"
    screenshots(page, "orders")

    card.get_by_role("link", name="查看详情").click()
    page.wait_for_url(f"**/orders/{order['id']}")
    timeline = page.get_by_test_id("order-timeline").locator("li")
    assert [timeline.nth(i).locator("strong").inner_text()
            for i in range(timeline.count())][:2] == ["确认中", "待付款"]
    lines = page.get_by_test_id("order-lines").inner_text()
    assert "¥25.00 \N{MULTIPLICATION SIGN} 2" in lines and "¥50.00" in lines
    assert "漕溪北路 88 号" in page.get_by_test_id("order-address").inner_text()
    screenshots(page, "order-detail-unpaid")

    page.get_by_role("link", name="取消订单").click()
    assert page.get_by_role("heading", name="确认取消订单？").is_visible(), "confirm first"
    page.get_by_label("取消原因（选填）").fill("买错了")
    page.get_by_role("button", name="确认取消").click()
    page.wait_for_url(f"**/orders/{order['id']}")
    assert page.get_by_role("status").inner_text() == "订单已取消。"
    assert page.get_by_test_id("order-status").inner_text() == "已取消"
    assert page.get_by_role("link", name="取消订单").count() == 0
    api_order = http.get(stack.url(f"/api/v1/orders/{order['id']}"), headers=shopper).json()
    assert api_order["status"] == "cancelled"
    assert "买错了" in api_order["timeline"][-1]["note"]


def test_a_shipped_order_shows_its_tracking_and_receipt_completes_it(stack, http, admin, page):
    shopper = shopper_in_browser(stack, http, page, "receiver")
    order = paid_order(stack, http, shopper)
    shipment = shipment_of(stack, http, admin, order["id"])
    shipped = http.post(stack.url(f"/api/v1/admin/shipments/{shipment['id']}/ship"),
                        headers=admin, json={"carrier": "sf", "tracking_number": "SF7700000001"})
    assert shipped.status_code == 200, shipped.text
    wait_for_status(stack, http, order["id"], shopper, "shipped")
    assert carrier_callback(stack, http, "sf", "sandbox-secret-sf", "SF7700000001",
                            "in_transit").status_code == 200

    page.goto(f"/orders/{order['id']}")
    assert page.get_by_test_id("order-status").inner_text() == "已发货"
    tracking = page.get_by_test_id("tracking")
    assert tracking.get_by_test_id("tracking-number").inner_text() == "SF7700000001"
    assert "顺丰速运" in tracking.inner_text() and "预计送达" in tracking.inner_text()
    events = tracking.get_by_test_id("tracking-timeline").locator("li strong")
    assert events.first.inner_text() == "运输中", "the newest event first"
    assert page.get_by_role("link", name="取消订单").count() == 0, "shipped: no cancelling"
    screenshots(page, "order-detail-shipped")

    page.get_by_role("button", name="确认收货").click()
    assert page.get_by_role("status").inner_text() == "已确认收货，订单完成。"
    assert page.get_by_test_id("order-status").inner_text() == "已完成"
    statuses = page.get_by_test_id("order-timeline").locator("li strong").all_inner_texts()
    assert statuses[-1] == "已完成"
    assert http.get(stack.url(f"/api/v1/orders/{order['id']}"),
                    headers=shopper).json()["status"] == "completed"


def test_reviewing_a_delivered_product_and_a_second_review_refused(stack, http, admin, page):
    shopper = shopper_in_browser(stack, http, page, "reviewer")
    order = paid_order(stack, http, shopper)
    ship_and_deliver(stack, http, admin, order["id"], "SF7700000002")
    wait_for_status(stack, http, order["id"], shopper, "delivered")
    kettle, mug = product_id_of(order, KETTLE), product_id_of(order, MUG)

    page.goto(f"/orders/{order['id']}")
    form = page.get_by_test_id(f"review-{kettle}")
    form.get_by_label("4 星").check()
    form.get_by_label("评价内容").fill("烧水很快，颜值高")
    until_accepted(page, lambda: page.get_by_test_id(f"review-{kettle}"), "发表评价",
                   "评价已发表，谢谢！", "评价内容", "烧水很快，颜值高")
    assert page.get_by_test_id(f"review-{kettle}").count() == 0, "reviewed once"
    reviews = http.get(stack.url(f"/api/v1/products/{kettle}/reviews")).json()["items"]
    mine = [r for r in reviews if r["order_id"] == order["id"]]
    assert [(r["rating"], r["text"]) for r in mine] == [(4, "烧水很快，颜值高")]

    # The mug is reviewed from another device while this page still offers its form.
    page.reload()
    page.get_by_test_id(f"review-{mug}").get_by_label("评价内容").fill("杯子有点小")
    elsewhere = http.post(stack.url("/api/v1/reviews"), headers=shopper, json={
        "order_id": order["id"], "product_id": mug, "rating": 5, "text": "好杯子"})
    assert elsewhere.status_code == 201, elsewhere.text
    with page.expect_response(re.compile(r"/orders/.+/reviews")) as answer:
        page.get_by_test_id(f"review-{mug}").get_by_role("button", name="发表评价").click()
    assert answer.value.status == 409
    assert page.get_by_role("alert").inner_text() == "这件商品已经评价过了，每件商品只能评价一次。"
    assert page.get_by_test_id(f"review-{mug}").get_by_label("评价内容").input_value() \
        == "杯子有点小", "what was typed is kept"
    screenshots(page, "order-review-refused")


def test_asking_for_a_refund_and_following_it(stack, http, admin, page):
    shopper = shopper_in_browser(stack, http, page, "refunder")
    order = paid_order(stack, http, shopper)
    ship_and_deliver(stack, http, admin, order["id"], "SF7700000003")
    wait_for_status(stack, http, order["id"], shopper, "delivered")

    page.goto(f"/orders/{order['id']}")
    page.get_by_role("link", name="申请售后").click()
    form = page.get_by_test_id("return-form")
    form.get_by_label("仅退款").check()
    form.locator("input[type=number]").nth(0).fill("0")  # the kettle is fine
    form.locator("input[type=number]").nth(1).fill("1")  # one mug of two arrived broken
    form.get_by_label("申请原因").fill("杯子碎了一个")
    until_accepted(page, lambda: page.get_by_test_id("return-form"), "提交申请",
                   "售后申请已提交，请等待商家处理。", "申请原因", "杯子碎了一个")
    assert page.get_by_test_id("return-status").inner_text() == "待商家审核"
    assert "¥25.00" in page.locator("main").inner_text()
    return_id = page.url.rsplit("/", 1)[-1]
    screenshots(page, "return")

    page.goto("/returns")
    row = page.locator(f"[data-return-id='{return_id}']")
    assert row.get_by_test_id("return-status").inner_text() == "待商家审核"
    assert "仅退款" in row.inner_text()

    approved = http.post(stack.url(f"/api/v1/admin/returns/{return_id}/approve"), headers=admin)
    assert approved.status_code == 200, approved.text

    def refunded() -> bool:
        page.goto(f"/returns/{return_id}")
        return page.get_by_test_id("return-status").inner_text() == "退款成功"

    wait_until(refunded, 120, 0.5, "the refund to show")
    steps = page.get_by_test_id("return-timeline").locator("li strong").all_inner_texts()
    assert steps[0] == "提交申请" and "商家同意" in steps and steps[-1] == "退款到账"
    assert page.get_by_test_id("refunded").inner_text() == "¥25.00"


def test_a_customer_service_ticket_is_opened_and_answered(stack, http, admin, page):
    shopper = shopper_in_browser(stack, http, page, "asker")
    order = payable_order(stack, http, shopper, LINES)

    page.goto(f"/orders/{order['id']}")
    page.get_by_role("link", name="联系客服").click()
    assert page.get_by_label("相关订单号（选填）").input_value() == order["id"]
    page.get_by_label("问题标题").fill("能开发票吗")
    page.get_by_label("问题描述").fill("请问这个订单可以开增值税发票吗？")
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_url(re.compile(r"/tickets/tkt_"))
    assert page.get_by_role("heading", name="能开发票吗").is_visible()
    assert page.get_by_test_id("ticket-status").inner_text() == "待回复"
    assert "请问这个订单可以开增值税发票吗？" in page.get_by_test_id("conversation").inner_text()
    ticket_id = page.url.rsplit("/", 1)[-1]

    answered = http.post(stack.url(f"/api/v1/tickets/{ticket_id}/messages"), headers=admin,
                         json={"message": "可以，发货时随箱附上。"})
    assert answered.status_code == 201, answered.text
    page.reload()
    assert page.get_by_test_id("ticket-status").inner_text() == "客服已回复"
    assert "客服" in page.get_by_test_id("conversation").locator("li").last.inner_text()
    page.get_by_label("回复").fill("好的，谢谢")
    with page.expect_navigation():
        page.get_by_role("button", name="发送").click()
    assert page.get_by_test_id("conversation").locator("li").count() == 3
    screenshots(page, "ticket")

    page.goto("/tickets")
    listed = page.locator(f"[data-ticket-id='{ticket_id}']")
    assert "能开发票吗" in listed.inner_text()
    assert listed.get_by_test_id("ticket-status").inner_text() == "待回复"
