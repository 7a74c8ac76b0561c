"""The merchant's order list and order page (admin role): every buyer's orders."""

from __future__ import annotations

import pytest

from service_runtime.testing.plugin import bearer

BODY = {"address_id": "addr_1", "delivery_method": "standard",
        "lines": [{"sku": "KETTLE", "quantity": 1}]}


@pytest.fixture
def admin(signing_key) -> dict:
    return bearer(signing_key, "root", roles=("admin",))


@pytest.fixture
def placed(client, alice, bob):
    ids = {}
    for name, headers, address in (("alice1", alice, "addr_1"), ("bob", bob, "addr_bob"),
                                   ("alice2", alice, "addr_1")):
        response = client.post("/api/v1/orders", json={**BODY, "address_id": address},
                               headers=headers)
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    return ids


def test_the_merchant_lists_every_buyers_orders_newest_first_and_pages(client, admin, placed):
    first = client.get("/api/v1/admin/orders?limit=2", headers=admin)
    assert first.status_code == 200, first.json
    assert [o["id"] for o in first.json["items"]] == [placed["alice2"], placed["bob"]]
    rest = client.get(f"/api/v1/admin/orders?limit=2&cursor={first.json['next_cursor']}",
                      headers=admin).json
    assert [o["id"] for o in rest["items"]] == [placed["alice1"]]
    assert rest["next_cursor"] is None


def test_the_merchant_filters_by_buyer_status_and_id_prefix(client, admin, placed):
    of_bob = client.get("/api/v1/admin/orders?user_id=bob", headers=admin).json["items"]
    assert [o["id"] for o in of_bob] == [placed["bob"]]
    pending = client.get("/api/v1/admin/orders?status=pending", headers=admin).json["items"]
    assert len(pending) == 3
    assert client.get("/api/v1/admin/orders?status=paid", headers=admin).json["items"] == []
    prefix = placed["bob"][:-3]
    found = client.get(f"/api/v1/admin/orders?order_id={prefix}", headers=admin).json["items"]
    assert placed["bob"] in [o["id"] for o in found]
    assert all(o["id"].startswith(prefix) for o in found)


def test_the_merchant_reads_any_order_with_its_timeline(client, admin, placed):
    page = client.get(f"/api/v1/admin/orders/{placed['bob']}", headers=admin)
    assert page.status_code == 200, page.json
    assert page.json["user_id"] == "bob"
    assert [entry["status"] for entry in page.json["timeline"]] == ["pending"]
    missing = client.get("/api/v1/admin/orders/ord_nope", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")


def test_only_the_admin_role_sees_them(client, alice, placed):
    assert client.get("/api/v1/admin/orders", headers=alice).status_code == 403
    assert client.get("/api/v1/admin/orders").status_code == 401
    assert client.get(f"/api/v1/admin/orders/{placed['alice1']}", headers=alice).status_code \
        == 403


def test_bad_filters_are_a_clear_422_and_change_nothing(client, admin):
    bad = client.get("/api/v1/admin/orders?status=lost&limit=0", headers=admin)
    assert bad.status_code == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")
