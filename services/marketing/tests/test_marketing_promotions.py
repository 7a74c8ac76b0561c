"""Promotions through the admin API and the public list; the demo offers."""

from datetime import UTC, datetime, timedelta

import pytest

from marketing.demo import load_demo_offers


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def window(start_h: float = -1, end_h: float = 24) -> dict:
    now = datetime.now(UTC)
    return {"starts_at": (now + timedelta(hours=start_h)).isoformat(),
            "ends_at": (now + timedelta(hours=end_h)).isoformat()}


REDUCTION = {"name": "满300减40", "kind": "full_reduction",
             "tiers": [{"threshold": cny(30000), "off": cny(4000)},
                       {"threshold": cny(50000), "off": cny(8000)}]}


def test_running_promotions_are_public(client, admin_headers):
    running = client.post("/api/v1/admin/promotions", headers=admin_headers,
                          json={**REDUCTION, **window(), "exclusion_group": "site",
                                "priority": 5})
    assert running.status_code == 201, running.json
    later = client.post("/api/v1/admin/promotions", headers=admin_headers,
                        json={**REDUCTION, **window(2, 24)}).json
    paused = client.post("/api/v1/admin/promotions", headers=admin_headers,
                         json={**REDUCTION, **window(), "status": "paused"}).json
    public = client.get("/api/v1/promotions").json["items"]
    assert [p["id"] for p in public] == [running.json["id"]]
    assert public[0]["tiers"][1] == {"threshold": cny(50000), "off": cny(8000)}
    assert public[0]["scope"] == {"kind": "all"}
    listed = client.get("/api/v1/admin/promotions", headers=admin_headers).json["items"]
    assert {p["id"] for p in listed} == {running.json["id"], later["id"], paused["id"]}
    resumed = client.patch(f"/api/v1/admin/promotions/{paused['id']}",
                           json={"status": "active"}, headers=admin_headers)
    assert resumed.status_code == 200
    assert len(client.get("/api/v1/promotions").json["items"]) == 2
    stop = client.patch(f"/api/v1/admin/promotions/{running.json['id']}",
                        json={"status": "paused"}, headers=admin_headers)
    assert stop.json["status"] == "paused"


@pytest.mark.parametrize(("body", "why"), [
    ({"tiers": [{"threshold": cny(50000), "off": cny(8000)},
                {"threshold": cny(30000), "off": cny(4000)}]}, "tiers go up"),
    ({"tiers": [{"threshold": cny(300), "off": cny(400)}]}, "at most its threshold"),
    ({"tiers": None}, "needs tiers"),
    ({"percent": 90}, "has no percent"),
    ({"kind": "timed_discount", "tiers": None}, "percent between"),
    ({"kind": "member_price", "tiers": None, "member_percents": {"gold": 120}}, None),
    ({**window(5, 1)}, "starts_at must be before ends_at"),
    ({"scope": {"kind": "brands"}}, "at least one brand"),
])
def test_a_promotion_that_does_not_fit_together_is_refused(client, admin_headers, body, why):
    response = client.post("/api/v1/admin/promotions", headers=admin_headers,
                           json={**REDUCTION, **window(), **body})
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    if why:
        assert why in str(response.json)
    assert client.get("/api/v1/admin/promotions", headers=admin_headers).json["items"] == []


def test_an_edit_that_breaks_the_promotion_changes_nothing(client, admin_headers, alice):
    promotion = client.post("/api/v1/admin/promotions", headers=admin_headers,
                            json={**REDUCTION, **window()}).json
    broken = client.patch(f"/api/v1/admin/promotions/{promotion['id']}",
                          json={"ends_at": promotion["starts_at"]}, headers=admin_headers)
    assert broken.status_code == 422
    kind = client.patch(f"/api/v1/admin/promotions/{promotion['id']}",
                        json={"kind": "timed_discount"}, headers=admin_headers)
    assert kind.status_code == 422
    assert client.get("/api/v1/promotions").json["items"][0]["ends_at"] == promotion["ends_at"]
    assert client.patch("/api/v1/admin/promotions/prm_nope", json={"priority": 1},
                        headers=admin_headers).status_code == 404
    assert client.post("/api/v1/admin/promotions", json={}, headers=alice).status_code == 403


def test_the_demo_offers(client, db, apply, headers_of):
    assert load_demo_offers(db) == (5, 3)
    assert load_demo_offers(db) == (0, 0)  # idempotent
    kinds = sorted(p["kind"] for p in client.get("/api/v1/promotions").json["items"])
    assert kinds == ["full_reduction", "member_price", "timed_discount"]
    claimable = client.get("/api/v1/coupons").json["items"]
    assert sorted(c["kind"] for c in claimable) == ["free_shipping", "percent_off"]
    apply("UserRegistered", user_id="newbie")
    [welcome] = client.get("/api/v1/users/me/coupons", headers=headers_of("newbie")).json["items"]
    assert welcome["template"]["name"] == "新人券 满100减10"
    redeemed = client.post("/api/v1/coupons/redeem", json={"code": "WELCOME2026"},
                           headers=headers_of("newbie"))
    assert redeemed.status_code == 201
