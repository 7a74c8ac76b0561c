"""Return, refund and exchange requests through the API, the merchant's side, and the
events they emit (validated against the contracts before they reach the outbox)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from aftersales.app import create_app
from aftersales.models import ReturnRequest
from aftersales.settings import AftersalesSettings
from event_contracts import REGISTRY
from service_runtime.testing.plugin import outbox_events

RETURNS, ADMIN = "/api/v1/returns", "/api/v1/admin/returns"
KETTLE, MUG = "KETTLE-MI-1.7L-WHITE", "MUG-CERAMIC-350ML"


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:shop:problem:{slug}"
    return body


def ask(client, headers, kind: str = "return_refund", lines=((MUG, 1),),
        order_id: str = "ord_1", **extra):  # type: ignore[no-untyped-def]
    return client.post(RETURNS, headers={**headers, **extra.pop("more_headers", {})}, json={
        "order_id": order_id, "type": kind, "reason": "杯子有裂纹 / cracked",
        "lines": [{"sku": sku, "quantity": q} for sku, q in lines], **extra})


def created(response) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def request_count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(ReturnRequest))


def valid(envelope: dict) -> dict:
    """The emitted event's data passes its contract, as a consumer would check it."""
    REGISTRY.validate_outgoing(envelope["type"], envelope["version"], envelope["data"])
    return envelope["data"]


# -- asking -------------------------------------------------------------------------


def test_a_buyer_asks_for_a_return_and_sees_its_progress(client, orders, alice, db):
    orders.delivered()
    body = created(ask(client, alice, lines=[(MUG, 1), (MUG, 1)]))
    assert body["status"] == "requested" and body["type"] == "return_refund"
    assert body["lines"] == [{"sku": MUG, "quantity": 2}]
    assert body["refund"] == {"amount": 5000, "currency": "CNY"}
    assert [step["step"] for step in body["timeline"]] == ["requested"]

    [event] = outbox_events(db, "ReturnRequested")
    data = valid(event)
    assert event["key"] == "ord_1"
    assert (data["return_id"], data["user_id"], data["type"]) == (body["id"], "alice",
                                                                  "return_refund")
    assert data["refund"] == {"amount": 5000, "currency": "CNY"}
    assert data["lines"] == [{"sku": MUG, "quantity": 2}]

    seen = client.get(f"{RETURNS}/{body['id']}", headers=alice)
    assert seen.status_code == 200 and seen.get_json() == body
    listed = client.get(RETURNS, headers=alice).get_json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_an_exchange_asks_for_no_refund(client, orders, alice, db):
    orders.delivered()
    body = created(ask(client, alice, "exchange", [(KETTLE, 1)]))
    assert body["refund"]["amount"] == 0
    assert valid(outbox_events(db, "ReturnRequested")[0])["refund"]["amount"] == 0


def test_someone_elses_order_or_request_is_not_found(client, orders, alice, bob, db):
    orders.delivered()
    problem(ask(client, bob), 404, "order-not-found")
    problem(ask(client, alice, order_id="ord_unknown"), 404, "order-not-found")
    mine = created(ask(client, alice))
    problem(client.get(f"{RETURNS}/{mine['id']}", headers=bob), 404,
            "return-not-found")
    assert client.get(RETURNS, headers=bob).get_json()["items"] == []
    assert request_count(db) == 1
    problem(client.get(RETURNS), 401, "unauthorized")


def test_more_than_was_bought_or_is_left_is_refused_line_by_line(client, orders, alice, db):
    orders.delivered()
    body = problem(ask(client, alice, lines=[(MUG, 3), (KETTLE, 1)]), 422,
                   "return-quantity-exceeded")
    assert body["lines"] == [{"sku": MUG, "requested": 3, "returnable": 2, "bought": 2}]
    problem(ask(client, alice, lines=[("NOT-BOUGHT", 1)]), 422, "return-quantity-exceeded")
    assert request_count(db) == 0

    created(ask(client, alice, lines=[(MUG, 1)]))
    created(ask(client, alice, "exchange", [(MUG, 1)]))
    left = problem(ask(client, alice, lines=[(MUG, 1)]), 422, "return-quantity-exceeded")
    assert left["lines"][0]["returnable"] == 0
    assert len(outbox_events(db, "ReturnRequested")) == 2


def test_a_rejected_request_frees_its_quantities(client, orders, alice, admin_headers):
    orders.delivered()
    first = created(ask(client, alice, lines=[(MUG, 2)]))
    problem(ask(client, alice, lines=[(MUG, 1)]), 422, "return-quantity-exceeded")
    client.post(f"{ADMIN}/{first['id']}/reject", json={"reason": "no"},
                headers=admin_headers)
    created(ask(client, alice, lines=[(MUG, 2)]))


def test_outside_the_window_is_refused(client, orders, alice, db):
    orders.delivered(at=datetime.now(UTC) - timedelta(days=7, minutes=1))
    body = problem(ask(client, alice), 409, "return-window-closed")
    assert body["window_days"] == 7
    orders.delivered("ord_2", at=datetime.now(UTC) - timedelta(days=6, hours=23))
    created(ask(client, alice, order_id="ord_2"))
    assert request_count(db) == 1


def test_the_window_is_configurable(client, orders, alice, app, monkeypatch):
    orders.delivered(at=datetime.now(UTC) - timedelta(days=10))
    problem(ask(client, alice), 409, "return-window-closed")
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "15")
    # Settings are read when the app is built: the running one keeps its window...
    problem(ask(client, alice), 409, "return-window-closed")
    # ...and the next one started reads the new value.
    restarted = create_app(config={"AUTH_JWKS": app.config["AUTH_JWKS"]},
                           database=app.extensions["db"].url)
    try:
        created(ask(restarted.test_client(), alice))
    finally:
        restarted.extensions["db"].dispose()


def test_the_app_keeps_the_settings_it_was_given(client, app, orders, alice):
    orders.delivered(at=datetime.now(UTC) - timedelta(days=10))
    problem(ask(client, alice), 409, "return-window-closed")
    given = create_app(config={"AUTH_JWKS": app.config["AUTH_JWKS"]},
                       database=app.extensions["db"].url,
                       settings=AftersalesSettings(return_window_days=15))
    try:
        created(ask(given.test_client(), alice))
    finally:
        given.extensions["db"].dispose()


def test_a_completed_order_without_a_delivery_counts_from_completion(client, orders, alice):
    orders.place()
    orders.pay()
    orders.ship()
    orders.complete(at=datetime.now(UTC) - timedelta(days=3))
    created(ask(client, alice, "exchange", [(KETTLE, 1)]))


def test_a_paid_unshipped_order_can_only_be_refunded_in_full(client, orders, alice, db):
    orders.place()
    orders.pay()
    problem(ask(client, alice, "refund_only", [(MUG, 2)]), 422, "refund-must-cover-order")
    problem(ask(client, alice, "return_refund", [(MUG, 2), (KETTLE, 1)]), 409,
            "order-not-returnable")
    problem(ask(client, alice, "exchange", [(MUG, 2), (KETTLE, 1)]), 409,
            "order-not-returnable")
    assert request_count(db) == 0
    body = created(ask(client, alice, "refund_only", [(MUG, 2), (KETTLE, 1)]))
    assert body["refund"]["amount"] == 9900 + 5000


@pytest.mark.parametrize("state", ["pending", "cancelled", "shipped"])
def test_pending_cancelled_or_travelling_orders_cannot_be_returned(client, orders, alice, db,
                                                                   state):
    orders.place()
    if state == "cancelled":
        orders.cancel()
    if state == "shipped":
        orders.pay()
        orders.ship()
    problem(ask(client, alice, "refund_only", [(MUG, 2), (KETTLE, 1)]), 409,
            "order-not-returnable")
    assert request_count(db) == 0


def test_an_idempotency_key_makes_one_request(client, orders, alice, db):
    orders.delivered()
    key = {"Idempotency-Key": "return-1"}
    first = created(ask(client, alice, more_headers=key))
    again = ask(client, alice, more_headers=key)
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    assert request_count(db) == 1 and len(outbox_events(db, "ReturnRequested")) == 1


@pytest.mark.parametrize("other", [
    {"lines": ((MUG, 2),)},
    {"kind": "refund_only"},
    {"reason": "wrong colour"},
    {"order_id": "ord_2"},
])
def test_the_same_key_with_another_request_is_a_422_and_asks_nothing(client, orders, alice,
                                                                     db, other):
    orders.delivered()
    orders.delivered("ord_2")
    key = {"Idempotency-Key": "return-1"}
    first = created(ask(client, alice, more_headers=key))
    problem(ask(client, alice, more_headers=key, **other), 422, "idempotency-key-reused")
    assert request_count(db) == 1 and len(outbox_events(db, "ReturnRequested")) == 1
    again = ask(client, alice, more_headers=key)
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]


def test_the_openapi_document_names_the_key_its_replay_and_its_422(client):
    operation = client.get("/openapi.json").get_json()["paths"][RETURNS]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert "200" in operation["responses"]
    assert "idempotency-key-reused" in operation["responses"]["422"]["description"]


@pytest.mark.parametrize("body", [
    {"order_id": "ord_1", "type": "swap", "reason": "x", "lines": [{"sku": MUG, "quantity": 1}]},
    {"order_id": "ord_1", "type": "exchange", "reason": "x", "lines": []},
    {"order_id": "ord_1", "type": "exchange", "reason": "", "lines": [{"sku": MUG, "quantity": 1}]},
    {"order_id": "ord_1", "type": "exchange", "reason": "x" * 1001,
     "lines": [{"sku": MUG, "quantity": 1}]},
    {"order_id": "ord_1", "type": "exchange", "reason": "x",
     "lines": [{"sku": MUG, "quantity": 0}]},
    {"order_id": "ord_1", "type": "exchange", "reason": "x",
     "lines": [{"sku": MUG, "quantity": "1"}]},
    {"order_id": "ord_1", "type": "exchange", "reason": "x", "lines": [{"sku": MUG, "quantity": 1}],
     "refund": {"amount": 1, "currency": "CNY"}},
    {"type": "exchange", "reason": "x", "lines": [{"sku": MUG, "quantity": 1}]},
])
def test_bad_input_is_a_validation_problem(client, orders, alice, db, body):
    orders.delivered()
    problem(client.post(RETURNS, json=body, headers=alice), 422, "validation-error")
    assert request_count(db) == 0


# -- the merchant's side ------------------------------------------------------------


def admin_post(client, admin_headers, return_id: str, action: str, **body):  # type: ignore[no-untyped-def]
    return client.post(f"{ADMIN}/{return_id}/{action}", headers=admin_headers,
                       json=body if body else None)


def test_a_return_is_approved_received_and_refunded(client, orders, alice, admin_headers, db):
    orders.delivered()
    asked = created(ask(client, alice, lines=[(MUG, 1)]))
    rid = asked["id"]
    problem(admin_post(client, admin_headers, rid, "receive"), 409,
            "invalid-return-transition")

    approved = admin_post(client, admin_headers, rid, "approve")
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    problem(admin_post(client, admin_headers, rid, "approve"), 409, "invalid-return-transition")
    [event] = outbox_events(db, "ReturnApproved")
    assert valid(event) | {"approved_at": None} == {
        "return_id": rid, "order_id": "ord_1", "user_id": "alice", "type": "return_refund",
        "lines": [{"sku": MUG, "quantity": 1}], "refund": {"amount": 2500, "currency": "CNY"},
        "approved_at": None}

    received = admin_post(client, admin_headers, rid, "receive")
    assert received.get_json()["status"] == "received"
    problem(admin_post(client, admin_headers, rid, "receive"), 409, "invalid-return-transition")
    problem(admin_post(client, admin_headers, rid, "reject", reason="late"), 409,
            "invalid-return-transition")
    [event] = outbox_events(db, "ReturnReceived")
    data = valid(event)
    assert (data["type"], data["lines"], data["refund"]["amount"]) == (
        "return_refund", [{"sku": MUG, "quantity": 1}], 2500)

    # The payment service refunds it.
    orders.apply("RefundIssued", order_id="ord_1", user_id="alice", return_id=rid,
                 amount={"amount": 2500, "currency": "CNY"},
                 refunded_total={"amount": 2500, "currency": "CNY"})
    done = client.get(f"{RETURNS}/{rid}", headers=alice).get_json()
    assert done["status"] == "refunded"
    assert done["refunded"] == {"amount": 2500, "currency": "CNY"}
    assert [s["step"] for s in done["timeline"]] == [
        "requested", "approved", "goods_received", "refunded"]
    assert len(outbox_events(db)) == 3, "each transition emitted once"


def test_a_refund_only_request_is_refunded_after_approval(client, orders, alice,
                                                          admin_headers, db):
    orders.place()
    orders.pay()
    rid = created(ask(client, alice, "refund_only", [(MUG, 2), (KETTLE, 1)]))["id"]
    admin_post(client, admin_headers, rid, "approve")
    assert valid(outbox_events(db, "ReturnApproved")[0])["refund"]["amount"] == 14900
    problem(admin_post(client, admin_headers, rid, "receive"), 409, "invalid-return-transition")
    problem(admin_post(client, admin_headers, rid, "reject", reason="no"), 409,
            "invalid-return-transition")
    refund = dict(order_id="ord_1", user_id="alice", return_id=rid,
                  amount={"amount": 14900, "currency": "CNY"},
                  refunded_total={"amount": 14900, "currency": "CNY"}, fully_refunded=True)
    orders.apply("RefundIssued", **refund)
    orders.apply("RefundIssued", **refund)  # another delivery of the news: no change
    body = client.get(f"{RETURNS}/{rid}", headers=alice).get_json()
    assert body["status"] == "refunded" and body["refunded"]["amount"] == 14900
    assert [s["step"] for s in body["timeline"]] == ["requested", "approved", "refunded"]
    assert outbox_events(db, "ReturnReceived") == []


def test_an_exchange_is_received_and_the_replacement_shows_on_its_timeline(
        client, orders, alice, admin_headers, db):
    orders.delivered()
    rid = created(ask(client, alice, "exchange", [(KETTLE, 1)]))["id"]
    admin_post(client, admin_headers, rid, "approve")
    received = admin_post(client, admin_headers, rid, "receive").get_json()
    assert received["status"] == "exchanged"
    data = valid(outbox_events(db, "ReturnReceived")[0])
    assert (data["type"], data["refund"]["amount"]) == ("exchange", 0)

    orders.ship_replacement(rid, shipment_id="shp_replacement")
    orders.deliver_replacement(rid, shipment_id="shp_replacement", at=datetime.now(UTC))
    body = client.get(f"{RETURNS}/{rid}", headers=alice).get_json()
    assert [s["step"] for s in body["timeline"]] == [
        "requested", "approved", "goods_received", "exchanged", "replacement_shipped",
        "replacement_delivered"]


def test_a_request_can_be_rejected(client, orders, alice, admin_headers, db):
    orders.delivered()
    rid = created(ask(client, alice))["id"]
    problem(admin_post(client, admin_headers, rid, "reject"), 422, "validation-error")
    rejected = admin_post(client, admin_headers, rid, "reject", reason="not as described")
    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["reject_reason"] == "not as described"
    problem(admin_post(client, admin_headers, rid, "approve"), 409, "invalid-return-transition")
    [event] = outbox_events(db, "ReturnRejected")
    assert valid(event)["reason"] == "not as described"
    assert outbox_events(db, "ReturnApproved") == []


def test_an_approved_return_whose_goods_never_came_can_be_rejected(client, orders, alice,
                                                                   admin_headers, db):
    orders.delivered()
    rid = created(ask(client, alice))["id"]
    admin_post(client, admin_headers, rid, "approve")
    assert admin_post(client, admin_headers, rid, "reject",
                      reason="nothing arrived").get_json()["status"] == "rejected"


def test_admin_routes_need_the_admin_role(client, orders, alice, db):
    orders.delivered()
    rid = created(ask(client, alice))["id"]
    problem(client.post(f"{ADMIN}/{rid}/approve", headers=alice), 403, "forbidden")
    problem(client.post(f"{ADMIN}/{rid}/approve"), 401, "unauthorized")
    problem(client.get(ADMIN, headers=alice), 403, "forbidden")
    assert outbox_events(db, "ReturnApproved") == []


def test_admins_list_requests_by_status_page_by_page(client, orders, alice, bob,
                                                     admin_headers):
    orders.delivered()
    orders.delivered("ord_2", user_id="bob")
    first = created(ask(client, alice, lines=[(MUG, 1)]))["id"]
    second = created(ask(client, alice, lines=[(KETTLE, 1)]))["id"]
    third = created(ask(client, bob, order_id="ord_2"))["id"]
    admin_post(client, admin_headers, second, "approve")
    problem(admin_post(client, admin_headers, "ret_000000000000aaaaaaaaaa", "approve"), 404,
            "return-not-found")

    page = client.get(f"{ADMIN}?limit=2", headers=admin_headers).get_json()
    assert [i["id"] for i in page["items"]] == [third, second]
    rest = client.get(f"{ADMIN}?limit=2&cursor={page['next_cursor']}",
                      headers=admin_headers).get_json()
    assert [i["id"] for i in rest["items"]] == [first] and rest["next_cursor"] is None
    approved = client.get(f"{ADMIN}?status=approved", headers=admin_headers).get_json()
    assert [i["id"] for i in approved["items"]] == [second]
    of_bob = client.get(f"{ADMIN}?user_id=bob", headers=admin_headers).get_json()
    assert [i["id"] for i in of_bob["items"]] == [third]
    of_order = client.get(f"{ADMIN}?order_id=ord_1", headers=admin_headers).get_json()
    assert [i["id"] for i in of_order["items"]] == [second, first]
    problem(client.get(f"{ADMIN}?status=lost", headers=admin_headers), 422, "validation-error")
    problem(client.get(f"{ADMIN}?cursor=x'--", headers=admin_headers), 422, "validation-error")


def test_two_admins_approving_at_once_approve_once(app, orders, alice, admin_headers, db):
    import threading

    orders.delivered()
    rid = created(ask(app.test_client(), alice))["id"]
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def approve() -> None:
        barrier.wait()
        statuses.append(app.test_client().post(f"{ADMIN}/{rid}/approve",
                                               headers=admin_headers).status_code)

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert len(outbox_events(db, "ReturnApproved")) == 1
