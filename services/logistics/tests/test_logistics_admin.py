"""The merchant's side: listing shipments, shipping them, pickup collection."""

from datetime import datetime

import pytest
from sqlalchemy import select

from logistics.domain import estimated_delivery
from logistics.models import Shipment, TrackingEvent
from service_runtime.testing.plugin import bearer

LIST = "/api/v1/admin/shipments"


def snapshot(db) -> tuple:
    with db.read() as session:
        shipments = sorted(tuple(row) for row in session.execute(select(
            Shipment.id, Shipment.status, Shipment.carrier, Shipment.tracking_number,
            Shipment.estimated_delivery, Shipment.delivered_at)))
        events = session.execute(select(TrackingEvent.id)).all()
        return shipments, len(events)


@pytest.fixture
def ready(saga, admin_api):
    """A paid express order's ready shipment."""
    saga.place()
    saga.pay()
    return admin_api.only_shipment()


def test_shipping_a_ready_shipment_emits_shipped(client, admin_api, ready, emitted, db):
    assert ready["status"] == "ready" and ready["address_id"] == "addr_1"
    assert ready["shipping_address"]["detail"] == "文三路 100 号", "where to send it"
    assert ready["lines"] == [{"sku": "KETTLE", "quantity": 1}, {"sku": "MUG", "quantity": 2}]
    assert "pickup_code" not in ready, "the merchant never sees the buyer's code"
    response = admin_api.ship(ready["id"], "sf", "SF1234567890123")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["carrier"], body["tracking_number"]) == (
        "shipped", "sf", "SF1234567890123")
    assert [entry["status"] for entry in body["timeline"]] == ["ready", "shipped"]

    [event] = emitted("Shipped")
    data = event["data"]
    assert event["key"] == "ord_1"
    assert (data["shipment_id"], data["order_id"], data["carrier"], data["tracking_number"],
            "return_id" in data) == (ready["id"], "ord_1", "sf", "SF1234567890123", False)
    shipped_at = datetime.fromisoformat(data["shipped_at"])
    expected = estimated_delivery("express", shipped_at).isoformat()
    assert data["estimated_delivery"] == expected == body["estimated_delivery"], \
        "the ETA is counted again from the day it ships"


def test_a_shipment_ships_only_from_ready(client, admin_api, ready, emitted, db, problem, saga):
    assert admin_api.ship(ready["id"]).status_code == 200
    before = snapshot(db)
    body = problem(admin_api.ship(ready["id"], "zto", "ZTO999999"), 409, "shipment-not-ready")
    assert body["status"] == 409
    assert snapshot(db) == before
    assert len(emitted("Shipped")) == 1


def test_a_cancelled_shipment_cannot_ship(admin_api, ready, saga, db, problem, emitted):
    saga.cancel()
    before = snapshot(db)
    problem(admin_api.ship(ready["id"]), 409, "shipment-not-ready")
    assert snapshot(db) == before
    assert emitted("Shipped") == []


def test_shipping_needs_the_admin_role(client, ready, alice, db, problem):
    before = snapshot(db)
    url = f"{LIST}/{ready['id']}/ship"
    body = {"carrier": "sf", "tracking_number": "SF100001"}
    problem(client.post(url, json=body, headers=alice), 403, "forbidden")
    problem(client.post(url, json=body), 401, "unauthorized")
    problem(client.get(LIST, headers=alice), 403, "forbidden")
    problem(client.post(f"{LIST}/{ready['id']}/collect", json={"pickup_code": "123456"},
                        headers=alice), 403, "forbidden")
    assert snapshot(db) == before


@pytest.mark.parametrize("body", [
    {"carrier": "dhl", "tracking_number": "SF100001"},
    {"carrier": "SF", "tracking_number": "SF100001"},
    {"carrier": "sf", "tracking_number": "SF 100001"},
    {"carrier": "sf", "tracking_number": "x" * 41},
    {"carrier": "sf"},
    {"tracking_number": "SF100001"},
    {"carrier": "sf", "tracking_number": "SF100001", "priority": "high"},
    {"carrier": 1, "tracking_number": "SF100001"},
])
def test_bad_ship_input_is_a_422(client, admin_headers, ready, db, body, problem, emitted):
    before = snapshot(db)
    problem(client.post(f"{LIST}/{ready['id']}/ship", json=body, headers=admin_headers),
            422, "validation-error")
    assert snapshot(db) == before
    assert emitted("Shipped") == []


def test_an_unknown_shipment_is_a_404(admin_api, problem, client, admin_headers):
    problem(admin_api.ship("shp_000000000000000000000"), 404, "shipment-not-found")
    problem(admin_api.collect("nope", "123456"), 404, "shipment-not-found")
    problem(client.get(f"{LIST}/nope", headers=admin_headers), 404, "shipment-not-found")
    problem(client.get(f"{LIST}/shp_1%00", headers=admin_headers), 400, "nul-character")
    problem(admin_api.ship("x" * 300), 404, "shipment-not-found")


def test_a_tracking_number_is_used_once_per_carrier(saga, admin_api, problem, db):
    for order_id in ("ord_1", "ord_2"):
        saga.place(order_id)
        saga.pay(order_id)
    first, second = admin_api.only_shipment("ord_1"), admin_api.only_shipment("ord_2")
    assert admin_api.ship(first["id"], "sf", "SF100001").status_code == 200
    before = snapshot(db)
    problem(admin_api.ship(second["id"], "sf", "SF100001"), 409, "tracking-number-in-use")
    assert snapshot(db) == before
    assert admin_api.ship(second["id"], "zto", "SF100001").status_code == 200


def test_a_shipment_waits_for_the_orders_details(saga, admin_api, problem, db):
    saga.pay()  # the payment overtook OrderPlaced
    shipment = admin_api.only_shipment()
    assert shipment["delivery_method"] is None
    problem(admin_api.ship(shipment["id"]), 409, "order-details-missing")
    saga.place()
    assert admin_api.ship(shipment["id"]).status_code == 200


def test_pickup_orders_go_to_the_store_and_others_not(saga, admin_api, problem):
    saga.place("ord_p", method="pickup")
    saga.pay("ord_p")
    saga.place("ord_e", method="express")
    saga.pay("ord_e")
    pickup, express = admin_api.only_shipment("ord_p"), admin_api.only_shipment("ord_e")
    problem(admin_api.ship(pickup["id"], "sf", "SF100001"), 422, "carrier-not-allowed")
    problem(admin_api.ship(express["id"], "store", "STORE-01"), 422, "carrier-not-allowed")
    assert admin_api.ship(pickup["id"], "store", "STORE-01").status_code == 200


def test_a_replacement_ships_as_a_replacement_with_its_return_id(saga, admin_api, emitted):
    saga.place()
    saga.pay()
    saga.receive_return("ret_5")
    replacement = next(s for s in admin_api.shipments() if s["return_id"] == "ret_5")
    assert replacement["lines"] == [{"sku": "MUG", "quantity": 1}]
    assert admin_api.ship(replacement["id"], "jd", "JD0001").status_code == 200
    assert emitted("Shipped") == [], "the order's own parcel has not shipped"
    [event] = emitted("ReplacementShipped")
    assert (event["data"]["return_id"], event["data"]["shipment_id"]) == ("ret_5",
                                                                          replacement["id"])
    assert (event["key"], event["data"]["carrier"], event["data"]["tracking_number"]) == (
        "ord_1", "jd", "JD0001")


# -- pickup collection ----------------------------------------------------------------


def pickup_code(db, shipment_id: str) -> str:
    with db.read() as session:
        return session.get(Shipment, shipment_id).pickup_code


def test_the_buyer_collects_with_the_pickup_code(saga, admin_api, db, problem, emitted):
    saga.place(method="pickup")
    saga.pay()
    shipment = admin_api.only_shipment()
    code = pickup_code(db, shipment["id"])
    problem(admin_api.collect(shipment["id"], code), 409, "not-at-pickup-point")
    assert admin_api.ship(shipment["id"], "store", "STORE-01").status_code == 200

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    before = snapshot(db)
    problem(admin_api.collect(shipment["id"], wrong), 422, "wrong-pickup-code")
    problem(admin_api.collect(shipment["id"], "12345"), 422, "validation-error")
    assert snapshot(db) == before
    assert emitted("Delivered") == []

    response = admin_api.collect(shipment["id"], code)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "delivered"
    [event] = emitted("Delivered")
    assert (event["data"]["shipment_id"], event["data"]["order_id"],
            event["data"]["return_id"]) == (shipment["id"], "ord_1", None)

    problem(admin_api.collect(shipment["id"], code), 409, "not-at-pickup-point")
    assert len(emitted("Delivered")) == 1


def test_a_carrier_shipment_is_not_collected(ready, admin_api, problem):
    admin_api.ship(ready["id"])
    problem(admin_api.collect(ready["id"], "123456"), 409, "not-a-pickup-shipment")


# -- listing --------------------------------------------------------------------------


def test_shipments_list_newest_first_in_pages_with_filters(saga, client, admin_headers,
                                                           admin_api, problem):
    for n in range(5):
        saga.place(f"ord_{n}")
        saga.pay(f"ord_{n}")
    saga.cancel("ord_3")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(LIST, query_string=query, headers=admin_headers).get_json()
        assert len(page["items"]) <= 2
        seen += [item["order_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["ord_4", "ord_3", "ord_2", "ord_1", "ord_0"]
    assert [s["order_id"] for s in admin_api.shipments(status="cancelled")] == ["ord_3"]
    assert len(admin_api.shipments(status="ready")) == 4
    assert admin_api.shipments(order_id="ord_2")[0]["order_id"] == "ord_2"
    assert admin_api.shipments(order_id="nope") == []
    for bad in ({"limit": 0}, {"limit": 101}, {"status": "lost"}, {"cursor": "x"},
                {"order_id": "x" * 101}):
        problem(client.get(LIST, query_string=bad, headers=admin_headers), 422,
                "validation-error")
    problem(client.get(LIST, query_string={"order_id": "ord\x00"}, headers=admin_headers), 400,
            "nul-character")


def test_the_routes_are_documented(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert set(paths) >= {
        "/api/v1/orders/{order_id}/tracking", "/api/v1/admin/shipments",
        "/api/v1/admin/shipments/{shipment_id}", "/api/v1/admin/shipments/{shipment_id}/ship",
        "/api/v1/admin/shipments/{shipment_id}/collect",
        "/api/v1/logistics/callbacks/{carrier}"}


def test_an_expired_admin_token_is_refused(client, signing_key, ready, problem):
    expired = bearer(signing_key, "root", roles=("admin",), ttl_s=-60)
    problem(client.get(LIST, headers=expired), 401, "unauthorized")
