"""Group buys (拼团) in the marketing service: the admin API, the public views, the
quote at the group price, places held by conditional updates (race-safe), success once
when every place is paid, failure once at the deadline, members leaving."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest

from marketing import groups
from marketing.models import BuyGroup, GroupMember
from service_runtime.testing.plugin import outbox_events

ADMIN = "/api/v1/admin/group-buys"
QUOTE = "/internal/pricing/quote"
SKU = "RICE-COOKER-3L"


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def soon(**delta) -> str:  # type: ignore[no-untyped-def]
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


@pytest.fixture
def campaign(client, admin_headers):
    def create(**fields) -> dict:  # type: ignore[no-untyped-def]
        body = {"name": "三人团", "sku": SKU, "product_id": 3, "group_price": cny(19900),
                "group_size": 3, "fill_hours": 24, "ends_at": soon(days=7), **fields}
        body = {name: value for name, value in body.items() if value is not None}
        response = client.post(ADMIN, json=body, headers=admin_headers)
        assert response.status_code == 201, response.json
        return response.json
    return create


def placed(apply, order_id: str, user_id: str, campaign_id: str, group_id: str,
           starts: bool) -> bool:
    return apply("OrderPlaced", order_id=order_id, user_id=user_id, user_coupon_id=None,
                 points_used=None, lines=[{"sku": SKU, "quantity": 1, "unit_price": cny(29900),
                                           "product_id": 3}],
                 placed_at=datetime.now(UTC).isoformat(),
                 campaign={"kind": "group_buy", "campaign_id": campaign_id,
                           "group_id": group_id, "starts_group": starts})


def emitted(db, event_type: str) -> list[dict]:
    return [event["data"] for event in outbox_events(db, event_type)]


def paid(apply, order_id: str, user_id: str) -> None:
    assert apply("PaymentConfirmed", order_id=order_id, user_id=user_id,
                 confirmed_at=datetime.now(UTC).isoformat())


def test_admin_creates_lists_and_validates(client, admin_headers, campaign, headers_of):
    made = campaign(fill_seconds=30, fill_hours=None)
    assert made["fill_seconds"] == 30 and made["status"] == "active"
    listed = client.get(ADMIN, headers=admin_headers).json["items"]
    assert [c["id"] for c in listed] == [made["id"]]
    both = client.post(ADMIN, headers=admin_headers, json={
        "sku": SKU, "group_price": cny(100), "group_size": 3, "fill_hours": 1,
        "fill_seconds": 5, "ends_at": soon(days=1)})
    assert both.status_code == 422
    too_big = client.post(ADMIN, headers=admin_headers, json={
        "sku": SKU, "group_price": cny(100), "group_size": 11, "fill_hours": 1,
        "ends_at": soon(days=1)})
    assert too_big.status_code == 422
    backwards = client.post(ADMIN, headers=admin_headers, json={
        "sku": SKU, "group_price": cny(100), "group_size": 2, "fill_hours": 1,
        "starts_at": soon(days=2), "ends_at": soon(days=1)})
    assert backwards.status_code == 422
    assert client.post(ADMIN, headers=headers_of("alice"), json={}).status_code == 403
    assert client.get(ADMIN).status_code == 401


def test_quote_at_group_price_shown_at_list_price(client, campaign, headers_of):
    made = campaign()
    body = {"lines": [{"sku": SKU, "product_id": 3, "quantity": 2, "unit_price": cny(29900)}],
            "delivery_method": "standard",
            "campaign": {"kind": "group_buy", "campaign_id": made["id"], "group_id": None}}
    quote = client.post(QUOTE, json=body, headers=headers_of("alice")).json
    assert quote["subtotal"] == cny(59800)
    assert quote["adjustments"][0] == {"kind": "group_price", "source_id": made["id"],
                                       "label": "拼团价", "amount": cny(20000)}
    line = quote["lines"][0]
    assert line["unit_price"] == cny(29900)
    assert line["allocations"][0]["amount"] == cny(20000)
    # 2 x ¥199 = ¥398 pays; what is free shipping is decided on ¥398, not ¥598.
    assert quote["payable"]["amount"] == 39800 + quote["shipping"]["amount"]
    assert quote["discount_total"]["amount"] == 20000
    assert sum(li["payable"]["amount"] for li in quote["lines"]) == quote["payable"]["amount"]
    assert quote["payable"]["amount"] == (quote["subtotal"]["amount"]
                                          - quote["discount_total"]["amount"]
                                          + quote["shipping"]["amount"])
    other = {**body, "lines": [{**body["lines"][0], "sku": "MUG-CERAMIC-350ML"}]}
    assert client.post(QUOTE, json=other).status_code == 404
    coupon = {**body, "coupon_code": "WELCOME2026"}
    assert client.post(QUOTE, json=coupon).status_code == 422
    missing = {**body, "campaign": {**body["campaign"], "group_id": "grp_nope"}}
    assert client.post(QUOTE, json=missing).status_code == 404


def test_a_group_fills_pays_and_succeeds_once(client, db, apply, campaign):
    made = campaign()
    assert placed(apply, "ord_a", "usr_alice", made["id"], "grp_1", starts=True)
    held = emitted(db, "GroupSlotHeld")
    assert [h["order_id"] for h in held] == ["ord_a"]
    view = client.get("/api/v1/group-buys").json
    assert view["server_time"]
    assert view["items"][0]["open_groups"] == [
        {"id": "grp_1", "needed": 2, "expires_at": held[0]["expires_at"]}]
    assert placed(apply, "ord_b", "usr_bob", made["id"], "grp_1", starts=False)
    assert placed(apply, "ord_c", "usr_carol", made["id"], "grp_1", starts=False)
    assert placed(apply, "ord_d", "usr_dave", made["id"], "grp_1", starts=False)
    assert [r["reason"] for r in emitted(db, "GroupSlotRejected")] == ["full"]
    group = client.get("/api/v1/group-buys/groups/grp_1").json
    assert group["needed"] == 0 and group["status"] == "open"
    assert [m["paid"] for m in group["members"]] == [False, False, False]
    assert group["members"][0]["user"] == "usr***ce" and group["members"][0]["leader"]
    for order_id, user in (("ord_a", "usr_alice"), ("ord_b", "usr_bob")):
        paid(apply, order_id, user)
    assert emitted(db, "GroupBuySucceeded") == []
    paid(apply, "ord_c", "usr_carol")
    paid(apply, "ord_c", "usr_carol")  # a second confirmation changes nothing
    [success] = emitted(db, "GroupBuySucceeded")
    assert success["order_ids"] == ["ord_a", "ord_b", "ord_c"]
    assert client.get("/api/v1/group-buys/groups/grp_1").json["status"] == "succeeded"
    groups.expire_groups(db, datetime.now(UTC) + timedelta(days=2))
    assert emitted(db, "GroupBuyFailed") == []


def test_five_concurrent_joins_for_the_last_place_hold_one(db, apply, campaign, make_event):
    made = campaign(group_size=3)
    assert placed(apply, "ord_lead", "usr_lead", made["id"], "grp_race", starts=True)
    assert placed(apply, "ord_2nd", "usr_2nd", made["id"], "grp_race", starts=False)
    barrier = Barrier(5)

    def join(n: int) -> None:
        data = make_event("OrderPlaced", order_id=f"ord_r{n}", user_id=f"usr_r{n}",
                          user_coupon_id=None, points_used=None,
                          placed_at=datetime.now(UTC).isoformat(),
                          campaign={"kind": "group_buy", "campaign_id": made["id"],
                                    "group_id": "grp_race", "starts_group": False}).data
        barrier.wait()
        with db.transaction() as session:
            groups.hold_slot(session, data)

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(join, range(5)))
    held = [h["order_id"] for h in emitted(db, "GroupSlotHeld")]
    assert len(held) == 3 and held[:2] == ["ord_lead", "ord_2nd"]
    assert [r["reason"] for r in emitted(db, "GroupSlotRejected")] == ["full"] * 4
    with db.read() as session:
        group = session.get(BuyGroup, "grp_race")
        assert (group.members, group.size) == (3, 3)


def test_an_expired_group_fails_once_with_its_orders(client, db, apply, campaign):
    made = campaign(fill_seconds=60, fill_hours=None)
    assert placed(apply, "ord_x", "usr_x", made["id"], "grp_x", starts=True)
    assert placed(apply, "ord_y", "usr_y", made["id"], "grp_x", starts=False)
    paid(apply, "ord_x", "usr_x")
    assert groups.expire_groups(db, datetime.now(UTC)) is False
    assert emitted(db, "GroupBuyFailed") == []
    later = datetime.now(UTC) + timedelta(seconds=61)
    groups.expire_groups(db, later)
    groups.expire_groups(db, later)  # a second replica's pass
    assert groups.fail_group(db, "grp_x", later) is False
    [failed] = emitted(db, "GroupBuyFailed")
    assert failed["order_ids"] == ["ord_x", "ord_y"]
    assert client.get("/api/v1/group-buys/groups/grp_x").json["status"] == "failed"
    # a late joiner is refused, a late payment changes nothing
    assert placed(apply, "ord_z", "usr_z", made["id"], "grp_x", starts=False)
    assert emitted(db, "GroupSlotRejected")[-1]["reason"] == "closed"
    paid(apply, "ord_y", "usr_y")
    assert emitted(db, "GroupBuySucceeded") == []


def test_a_cancelled_member_frees_its_place_and_limit(client, db, apply, campaign):
    made = campaign(group_size=2)
    assert placed(apply, "ord_1", "usr_one", made["id"], "grp_c", starts=True)
    assert placed(apply, "ord_2", "usr_two", made["id"], "grp_c", starts=False)
    assert client.get("/api/v1/group-buys/groups/grp_c").json["needed"] == 0
    # usr_two is at the per-user limit (1): another group of the campaign is refused
    assert placed(apply, "ord_3", "usr_two", made["id"], "grp_other", starts=True)
    assert emitted(db, "GroupSlotRejected")[-1]["reason"] == "limit_reached"
    assert apply("OrderCancelled", order_id="ord_2", user_id="usr_two",
                 cancelled_at=datetime.now(UTC).isoformat())
    assert client.get("/api/v1/group-buys/groups/grp_c").json["needed"] == 1
    with db.read() as session:
        assert session.get(GroupMember, "ord_2").status == "left"
    assert placed(apply, "ord_4", "usr_two", made["id"], "grp_c", starts=False)
    assert emitted(db, "GroupSlotHeld")[-1]["order_id"] == "ord_4"


def test_ended_campaign_refuses_and_fails_open_groups(client, db, apply, campaign,
                                                      admin_headers):
    made = campaign()
    assert placed(apply, "ord_e", "usr_e", made["id"], "grp_e", starts=True)
    ended = client.patch(f"{ADMIN}/{made['id']}", json={"status": "ended"},
                         headers=admin_headers)
    assert ended.status_code == 200 and ended.json["status"] == "ended"
    groups.expire_groups(db, datetime.now(UTC))
    assert emitted(db, "GroupBuyFailed")[0]["group_id"] == "grp_e"
    assert client.get("/api/v1/group-buys").json["items"] == []
    assert client.post(QUOTE, json={
        "lines": [{"sku": SKU, "product_id": 3, "quantity": 1, "unit_price": cny(29900)}],
        "campaign": {"kind": "group_buy", "campaign_id": made["id"]}}).status_code == 409


def test_the_demo_group_buy_with_its_list_price(client, db, apply):
    from marketing.demo import load_demo_offers

    load_demo_offers(db)
    load_demo_offers(db)  # idempotent
    apply("ProductUpdated", product_id=3, skus=[
        {"sku": SKU, "price": cny(29900), "attributes": {}, "available": 50}],
        updated_at=datetime.now(UTC).isoformat())
    [demo] = client.get("/api/v1/group-buys").json["items"]
    assert (demo["sku"], demo["group_size"], demo["fill_seconds"]) == (SKU, 3, 24 * 3600)
    assert demo["group_price"] == cny(19900) and demo["list_price"] == cny(29900)
    assert client.get(f"/api/v1/group-buys/{demo['id']}").json["server_time"]
    assert client.get("/api/v1/group-buys/gbc_nope").status_code == 404
    assert client.get("/api/v1/group-buys/groups/grp_nope").status_code == 404
