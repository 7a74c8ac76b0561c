"""The buyer's tracking page: only the order's owner sees it, pickup codes included."""


from service_runtime.testing.plugin import bearer


def tracking(client, headers, order_id: str = "ord_1"):
    return client.get(f"/api/v1/orders/{order_id}/tracking", headers=headers)


def test_the_owner_tracks_the_order(saga, client, alice, admin_api):
    saga.place(method="express")
    saga.pay()
    response = tracking(client, alice)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["order_id"] == "ord_1"
    [shipment] = body["shipments"]
    assert (shipment["status"], shipment["carrier"], shipment["tracking_number"],
            shipment["delivery_method"], shipment["pickup_code"],
            shipment["replacement_for_return"], shipment["cash_on_delivery"]) == (
        "ready", None, None, "express", None, None, False)
    assert shipment["estimated_delivery"] == "2026-11-23"
    assert [(e["status"], e["description"]) for e in shipment["timeline"]] == [
        ("ready", "Paid; waiting to be shipped")]

    admin_api.ship(shipment["id"], "ems", "EMS123456")
    [shipment] = tracking(client, alice).get_json()["shipments"]
    assert (shipment["status"], shipment["carrier"], shipment["tracking_number"]) == (
        "shipped", "ems", "EMS123456")
    assert [e["status"] for e in shipment["timeline"]] == ["ready", "shipped"]


def test_an_order_placed_but_not_paid_has_no_shipments_yet(saga, client, alice):
    saga.place()
    assert tracking(client, alice).get_json() == {"order_id": "ord_1", "shipments": []}


def test_someone_elses_or_an_unknown_order_is_a_404(saga, client, alice, bob, problem,
                                                     signing_key):
    saga.place(user_id="alice")
    saga.pay(user_id="alice")
    problem(tracking(client, bob), 404, "order-not-found")
    problem(tracking(client, alice, "ord_nope"), 404, "order-not-found")
    problem(tracking(client, bearer(signing_key, "root", roles=("admin",))), 404,
            "order-not-found")
    problem(tracking(client, {}), 401, "unauthorized")


def test_the_owner_learned_from_a_payment_can_track_before_the_order_arrives(saga, client,
                                                                             alice, bob):
    saga.pay(user_id="alice")
    assert tracking(client, alice).status_code == 200
    assert tracking(client, bob).status_code == 404


def test_the_pickup_code_is_shown_to_the_owner_only(saga, client, alice, bob, db, problem):
    saga.place(method="pickup")
    saga.pay()
    [shipment] = tracking(client, alice).get_json()["shipments"]
    code = shipment["pickup_code"]
    assert len(code) == 6 and code.isdigit()
    assert shipment["estimated_delivery"] == "2026-11-24"
    response = tracking(client, bob)
    problem(response, 404, "order-not-found")
    assert code not in response.get_data(as_text=True)


def test_an_exchange_replacement_shows_on_the_tracking(saga, client, alice):
    saga.place()
    saga.pay()
    saga.receive_return("ret_3")
    shipments = tracking(client, alice).get_json()["shipments"]
    assert [s["replacement_for_return"] for s in shipments] == [None, "ret_3"]
    assert shipments[1]["timeline"][0]["description"].startswith("Replacement")


def test_a_cancelled_orders_shipment_shows_cancelled(saga, client, alice):
    saga.place()
    saga.pay()
    saga.cancel()
    [shipment] = tracking(client, alice).get_json()["shipments"]
    assert shipment["status"] == "cancelled"
    assert [e["status"] for e in shipment["timeline"]] == ["ready", "cancelled"]


def test_odd_order_ids_are_refused(client, alice, problem):
    problem(tracking(client, alice, "x" * 300), 404, "order-not-found")
    problem(tracking(client, alice, "ord_1%00"), 400, "nul-character")
