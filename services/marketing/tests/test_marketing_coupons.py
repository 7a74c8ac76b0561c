"""Coupon templates through the admin API, and buyers claiming, redeeming and listing
their coupons."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from marketing.issuing import expire_coupons
from marketing.models import CouponTemplate, UserCoupon


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def test_an_admin_creates_edits_pauses_and_lists_templates(client, admin_headers, new_coupon):
    coupon = new_coupon(redeem_code="hello-2026", auto_issue="new_user", claimable=False)
    assert coupon["redeem_code"] == "HELLO-2026"
    assert (coupon["remaining"], coupon["issued"], coupon["status"]) == (100, 0, "active")
    edited = client.patch(f"/api/v1/admin/coupons/{coupon['id']}",
                          json={"total_quantity": 50, "status": "paused"},
                          headers=admin_headers)
    assert edited.status_code == 200, edited.json
    assert (edited.json["total_quantity"], edited.json["status"]) == (50, "paused")
    listed = client.get("/api/v1/admin/coupons?status=paused", headers=admin_headers).json
    assert [item["id"] for item in listed["items"]] == [coupon["id"]]


@pytest.mark.parametrize(("fields", "why"), [
    ({"amount_off": None}, "amount_off > 0"),
    ({"amount_off": cny(20000)}, "may not exceed min_spend"),
    ({"kind": "percent_off", "amount_off": None}, "percent_off between"),
    ({"valid_days": None}, "valid_until"),
    ({"valid_from": "2026-12-01T00:00:00+00:00"}, "not both"),
    ({"scope": {"kind": "categories"}}, "at least one id"),
    ({"min_spend": {"amount": 100, "currency": "USD"}}, "must be in CNY"),
])
def test_a_template_that_does_not_fit_together_is_refused(client, admin_headers, fields, why):
    body = {"name": "x", "kind": "amount_off", "amount_off": cny(1000),
            "min_spend": cny(10000), "valid_days": 30, "total_quantity": 10, **fields}
    response = client.post("/api/v1/admin/coupons", json=body, headers=admin_headers)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert why in response.json["detail"]
    assert client.get("/api/v1/admin/coupons", headers=admin_headers).json["items"] == []


def test_malformed_fields_and_non_admins_are_refused(client, admin_headers, alice, new_coupon):
    bad = client.post("/api/v1/admin/coupons", json={"name": "x", "kind": "gift"},
                      headers=admin_headers)
    assert bad.status_code == 422
    assert {error["field"] for error in bad.json["errors"]} >= {"kind", "total_quantity"}
    assert client.post("/api/v1/admin/coupons", json={}, headers=alice).status_code == 403
    coupon = new_coupon()
    issued = client.post(f"/api/v1/coupons/{coupon['id']}/claim", headers=alice)
    assert issued.status_code == 201
    lowered = client.patch(f"/api/v1/admin/coupons/{coupon['id']}",
                           json={"total_quantity": 1, "amount_off": cny(50000)},
                           headers=admin_headers)
    assert lowered.status_code == 422
    kept = client.get("/api/v1/admin/coupons", headers=admin_headers).json["items"][0]
    assert (kept["total_quantity"], kept["amount_off"]) == (100, cny(1000))
    assert client.patch("/api/v1/admin/coupons/cpt_nope", json={"status": "paused"},
                        headers=admin_headers).status_code == 404
    kind = client.patch(f"/api/v1/admin/coupons/{coupon['id']}", json={"kind": "free_shipping"},
                        headers=admin_headers)
    assert kind.status_code == 422


def test_a_buyer_claims_within_the_limits(client, alice, bob, new_coupon, admin_headers):
    coupon = new_coupon(total_quantity=3, per_user_limit=2)
    public = client.get("/api/v1/coupons").json["items"]
    assert [(c["id"], c["remaining"]) for c in public] == [(coupon["id"], 3)]
    assert "redeem_code" not in public[0]
    first = client.post(f"/api/v1/coupons/{coupon['id']}/claim", headers=alice)
    assert first.status_code == 201, first.json
    held = first.json
    assert (held["status"], held["template"]["id"], held["source"]) == (
        "available", coupon["id"], "claim")
    valid_until = datetime.fromisoformat(held["valid_until"])
    assert timedelta(days=29) < valid_until - datetime.now(UTC) <= timedelta(days=30)
    assert client.post(f"/api/v1/coupons/{coupon['id']}/claim", headers=alice).status_code == 201
    limit = client.post(f"/api/v1/coupons/{coupon['id']}/claim", headers=alice)
    assert (limit.status_code, limit.json["type"]) == (
        409, "urn:shop:problem:coupon-limit-reached")
    assert client.post(f"/api/v1/coupons/{coupon['id']}/claim", headers=bob).status_code == 201
    gone = client.post(f"/api/v1/coupons/{coupon['id']}/claim", headers=bob)
    assert (gone.status_code, gone.json["type"]) == (409, "urn:shop:problem:coupon-sold-out")
    assert client.get("/api/v1/coupons").json["items"] == []
    stats = client.get("/api/v1/admin/coupons", headers=admin_headers).json["items"][0]
    assert (stats["issued"], stats["remaining"]) == (3, 0)
    assert client.post(f"/api/v1/coupons/{coupon['id']}/claim").status_code == 401


def test_paused_private_and_level_restricted_coupons_are_not_claimable(
        client, alice, new_coupon, admin_headers, apply):
    paused = new_coupon(status="paused")
    private = new_coupon(claimable=False)
    gold = new_coupon(member_levels=["gold", "platinum"])
    assert [c["id"] for c in client.get("/api/v1/coupons").json["items"]] == [gold["id"]]
    refused = client.post(f"/api/v1/coupons/{paused['id']}/claim", headers=alice)
    assert (refused.status_code, refused.json["type"]) == (
        409, "urn:shop:problem:coupon-not-claimable")
    assert client.post(f"/api/v1/coupons/{private['id']}/claim", headers=alice).status_code == 404
    assert client.post(f"/api/v1/coupons/{gold['id']}/claim", headers=alice).status_code == 409
    apply("MembershipChanged", user_id="alice", level="gold")
    assert client.post(f"/api/v1/coupons/{gold['id']}/claim", headers=alice).status_code == 201


def test_a_redeem_code_gives_its_coupon(client, alice, new_coupon):
    coupon = new_coupon(redeem_code="WELCOME2026", claimable=False)
    assert client.get("/api/v1/coupons").json["items"] == []
    redeemed = client.post("/api/v1/coupons/redeem", json={"code": " welcome2026 "},
                           headers=alice)
    assert redeemed.status_code == 201, redeemed.json
    assert (redeemed.json["template_id"], redeemed.json["source"]) == (coupon["id"], "redeem")
    again = client.post("/api/v1/coupons/redeem", json={"code": "WELCOME2026"}, headers=alice)
    assert again.status_code == 409
    unknown = client.post("/api/v1/coupons/redeem", json={"code": "NOPE"}, headers=alice)
    assert (unknown.status_code, unknown.json["type"]) == (
        404, "urn:shop:problem:redeem-code-not-found")


def test_an_admin_issues_to_chosen_users(client, admin_headers, new_coupon, headers_of):
    coupon = new_coupon(total_quantity=2, claimable=False)
    result = client.post(f"/api/v1/admin/coupons/{coupon['id']}/issue",
                         json={"user_ids": ["u1", "u2", "u1", "u3"]}, headers=admin_headers)
    assert result.status_code == 200, result.json
    assert [i["user_id"] for i in result.json["issued"]] == ["u1", "u2"]
    assert result.json["refused"] == [{"user_id": "u3", "reason": "coupon-sold-out"}]
    mine = client.get("/api/v1/users/me/coupons", headers=headers_of("u1")).json["items"]
    assert [c["source"] for c in mine] == ["admin"]


def test_my_coupons_by_status_with_expiry_at_read_time_and_by_the_job(
        client, alice, db, new_coupon):
    coupons = [client.post(f"/api/v1/coupons/{new_coupon()['id']}/claim",
                           headers=alice).json for _ in range(3)]
    past = datetime.now(UTC) - timedelta(minutes=1)
    with db.transaction() as session:
        session.execute(update(UserCoupon).where(UserCoupon.id == coupons[0]["id"])
                        .values(valid_until=past))
        session.execute(update(UserCoupon).where(UserCoupon.id == coupons[1]["id"])
                        .values(status="used", order_id="ord_9"))

    def listed(status: str) -> list[str]:
        page = client.get(f"/api/v1/users/me/coupons?status={status}", headers=alice).json
        return [c["id"] for c in page["items"]]

    assert listed("expired") == [coupons[0]["id"]]
    assert listed("available") == [coupons[2]["id"]]
    assert listed("used") == [coupons[1]["id"]]
    with db.read() as session:
        assert session.get(UserCoupon, coupons[0]["id"]).status == "available"
    expire_coupons(db, datetime.now(UTC))
    with db.read() as session:
        assert session.get(UserCoupon, coupons[0]["id"]).status == "expired"
    assert listed("expired") == [coupons[0]["id"]]
    page = client.get("/api/v1/users/me/coupons?limit=2", headers=alice).json
    rest = client.get(f"/api/v1/users/me/coupons?limit=2&cursor={page['next_cursor']}",
                      headers=alice).json
    assert len(page["items"]) + len(rest["items"]) == 3 and rest["next_cursor"] is None
    with db.read() as session:
        assert session.scalar(select(CouponTemplate.issued).limit(1)) == 1
