"""The provider's cashier sends the buyer back to the shop (``return_url``), and only to
the shop: a foreign address is refused before any payment exists."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from payment.models import Payment
from service_runtime.errors import PROBLEM_JSON


def start(client, headers, **body):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/payments", headers=headers,
                       json={"order_id": "ord_1", "method": "alipay", **body})


def pay_at_cashier(client, payment: dict, outcome: str = "success"):  # type: ignore[no-untyped-def]
    url = urlsplit(payment["next_action"]["url"])
    [token] = parse_qs(url.query)["token"]
    return client.post(url.path, query_string={"token": token},
                       data={"payment_id": payment["id"], "outcome": outcome})


def payments(db) -> int:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Payment))


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_a_path_of_the_shop_brings_the_buyer_back_with_the_outcome(client, app, alice,
                                                                   due_order, outcome):
    due_order("ord_1")
    started = start(client, alice, return_url="/orders/ord_1/result")
    assert started.status_code == 201, started.json
    back = pay_at_cashier(client, started.json, outcome)
    assert back.status_code == 303
    public = app.extensions["settings"].public_url
    location = urlsplit(back.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == public
    assert location.path == "/orders/ord_1/result"
    assert parse_qs(location.query) == {"payment_id": [started.json["id"]],
                                        "order_id": ["ord_1"], "outcome": [outcome]}


def test_without_a_return_url_the_cashier_shows_its_own_page(client, alice, due_order):
    due_order("ord_1")
    started = start(client, alice)
    page = pay_at_cashier(client, started.json)
    assert page.status_code == 200
    assert "return to the shop" in page.get_data(as_text=True)


@pytest.mark.parametrize("foreign", [
    "https://evil.example/orders/ord_1/result",
    "//evil.example/steal",
    "javascript:alert(1)",
    "http://127.0.0.1:9/elsewhere",
])
def test_a_foreign_return_url_is_refused_and_no_payment_is_made(client, db, alice, due_order,
                                                                foreign):
    due_order("ord_1")
    refused = start(client, alice, return_url=foreign)
    assert refused.status_code == 422, refused.json
    assert refused.content_type == PROBLEM_JSON
    assert refused.json["type"] == "urn:shop:problem:return-url-not-allowed"
    assert payments(db) == 0


def test_origins_named_in_the_settings_are_the_shop_s_too(client, reconfigure, alice,
                                                          due_order):
    due_order("ord_1")
    reconfigure(return_origins=("https://m.shop.example",))
    started = start(client, alice, return_url="https://m.shop.example/pay/done?from=app")
    assert started.status_code == 201, started.json
    location = pay_at_cashier(client, started.json).headers["Location"]
    assert location.startswith("https://m.shop.example/pay/done?from=app&payment_id=")


def test_a_top_up_returns_to_the_wallet_page(client, alice):
    started = client.post("/api/v1/wallet/top-ups", headers=alice, json={
        "amount": 5000, "method": "wechat", "return_url": "/account/wallet"})
    assert started.status_code == 201, started.json
    location = urlsplit(pay_at_cashier(client, started.json).headers["Location"])
    assert location.path == "/account/wallet"
    assert "order_id" not in parse_qs(location.query)
