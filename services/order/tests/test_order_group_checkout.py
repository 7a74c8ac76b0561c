"""Starting and joining a group buy: one order at the group price with its campaign
(in OrderPlaced, so marketing holds the place), the quote asked as a start (no group
yet) or a join; an Idempotency-Key replays the same order; marketing's 404 and 409 reach
the buyer as they came. (Marketing here is the tests' stand-in, over real HTTP.)"""

import pytest

from service_runtime.testing.plugin import outbox_events

START = "/api/v1/group-buys/gbc_1/groups"
BODY = {"address_id": "addr_1", "delivery_method": "standard"}


@pytest.fixture
def campaign(marketing):
    marketing.campaigns["gbc_1"] = {
        "id": "gbc_1", "sku": "KETTLE", "product_id": 7, "group_size": 3, "fill_seconds": 3600,
        "ends_at": "2099-01-01T00:00:00+00:00", "unit": 5900}
    return marketing.campaigns["gbc_1"]


def test_starting_a_group_places_an_order_at_the_group_price(client, db, alice, campaign,
                                                             marketing):
    headers = {**alice, "Idempotency-Key": "start-1"}
    response = client.post(START, json=BODY, headers=headers)
    assert response.status_code == 201, response.json
    group, order = response.json["group"], response.json["order"]
    assert (group["campaign_id"], group["status"], group["needed"]) == ("gbc_1", "open", 2)
    assert group["id"].startswith("grp_") and group["expires_at"] and group["server_time"]
    assert order["status"] == "pending" and order["lines"][0]["sku"] == "KETTLE"
    assert order["total"] == {"amount": 5900 + 1000, "currency": "CNY"}  # + standard delivery
    assert order["campaign"] == {"kind": "group_buy", "campaign_id": "gbc_1",
                                 "group_id": group["id"], "starts_group": True}
    _headers, quoted = marketing.requests[-1]
    assert quoted["campaign"] == {"kind": "group_buy", "campaign_id": "gbc_1",
                                  "group_id": None}
    [placed] = outbox_events(db, "OrderPlaced")
    assert placed["data"]["campaign"] == order["campaign"]
    again = client.post(START, json=BODY, headers=headers)
    assert again.status_code == 200 and again.json["order"]["id"] == order["id"]
    assert len(outbox_events(db, "OrderPlaced")) == 1


def test_joining_an_open_group_and_a_full_one(client, db, alice, campaign, marketing):
    marketing.groups["grp_open"] = {"id": "grp_open", "campaign_id": "gbc_1", "sku": "KETTLE",
                                    "needed": 2, "status": "open",
                                    "expires_at": "2099-01-01T00:00:00+00:00"}
    marketing.groups["grp_full"] = {**marketing.groups["grp_open"], "id": "grp_full",
                                    "needed": 0}
    joined = client.post("/api/v1/group-buys/groups/grp_open/join", json=BODY, headers=alice)
    assert joined.status_code == 201, joined.json
    assert joined.json["group"]["needed"] == 1
    assert joined.json["order"]["campaign"]["starts_group"] is False
    assert marketing.requests[-1][1]["campaign"]["group_id"] == "grp_open"
    full = client.post("/api/v1/group-buys/groups/grp_full/join", json=BODY, headers=alice)
    assert full.status_code == 409
    assert full.json["type"] == "urn:shop:problem:group-not-joinable"
    unknown = client.post("/api/v1/group-buys/groups/grp_nope/join", json=BODY, headers=alice)
    assert unknown.status_code == 404
    assert client.post(START, json={**BODY, "quantity": 0}, headers=alice).status_code == 422
    assert client.post(START, json=BODY).status_code == 401
    assert len(outbox_events(db, "OrderPlaced")) == 1
