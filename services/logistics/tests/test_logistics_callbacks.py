"""Signed carrier callbacks: each event once on the timeline, Delivered once; refused
callbacks change nothing."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from logistics.carriers import sign
from logistics.models import Shipment, TrackingEvent

# Carrier events happen after the shipment shipped (now, in these tests).
T1 = datetime.now(UTC).replace(microsecond=0)


def snapshot(db) -> tuple:
    with db.read() as session:
        shipments = sorted(tuple(row) for row in session.execute(
            select(Shipment.id, Shipment.status, Shipment.delivered_at)))
        events = sorted(tuple(row) for row in session.execute(
            select(TrackingEvent.shipment_id, TrackingEvent.status, TrackingEvent.event_id)))
        return shipments, events


def tracking_event(event_id: str, status: str, hours: int, **extra) -> dict:
    return {"event_id": event_id, "status": status,
            "at": (T1 + timedelta(hours=hours)).isoformat(), **extra}


@pytest.fixture
def shipped(saga, admin_api):
    """An express order shipped with SF as SF100001."""
    saga.place()
    saga.pay()
    shipment = admin_api.only_shipment()
    assert admin_api.ship(shipment["id"], "sf", "SF100001").status_code == 200
    return shipment["id"]


def test_a_sequence_of_callbacks_delivers_once(shipped, send_callback, emitted, admin_api, db):
    first = send_callback("sf", {"tracking_number": "SF100001", "events": [
        tracking_event("e1", "in_transit", 1, location="深圳", description="已揽收")]})
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"shipment_id": shipped, "status": "in_transit", "applied": 1,
                                "duplicates": 0}

    body = {"tracking_number": "SF100001", "events": [
        tracking_event("e1", "in_transit", 1),
        tracking_event("e3", "delivered", 20, location="上海"),
        tracking_event("e2", "out_for_delivery", 18),
    ]}
    second = send_callback("sf", body)
    assert second.get_json() == {"shipment_id": shipped, "status": "delivered", "applied": 2,
                                 "duplicates": 1}
    [event] = emitted("Delivered")
    assert event["key"] == "ord_1"
    assert event["data"] == {"shipment_id": shipped, "order_id": "ord_1",
                             "delivered_at": (T1 + timedelta(hours=20)).isoformat(),
                             "return_id": None}

    before = snapshot(db)
    again = send_callback("sf", body)
    assert again.status_code == 200
    assert again.get_json()["applied"] == 0 and again.get_json()["duplicates"] == 3
    assert snapshot(db) == before, "a repeated callback is a no-op"
    assert len(emitted("Delivered")) == 1

    shipment = admin_api.only_shipment()
    assert [(e["status"], e["location"]) for e in shipment["timeline"]][1:] == [
        ("shipped", None), ("in_transit", "深圳"), ("out_for_delivery", None),
        ("delivered", "上海")]
    assert shipment["timeline"][2]["description"] == "已揽收"


def test_a_second_delivered_event_does_not_deliver_twice(shipped, send_callback, emitted):
    send_callback("sf", {"tracking_number": "SF100001",
                         "events": [tracking_event("d1", "delivered", 5)]})
    response = send_callback("sf", {"tracking_number": "SF100001", "events": [
        tracking_event("d2", "delivered", 6), tracking_event("t9", "in_transit", 7)]})
    assert response.get_json()["status"] == "delivered", "no status moves back"
    assert response.get_json()["applied"] == 2
    assert len(emitted("Delivered")) == 1


def test_a_replacements_delivery_is_announced_as_a_replacement(saga, admin_api,
                                                               send_callback, emitted):
    saga.place()
    saga.pay()
    saga.receive_return("ret_7")
    replacement = next(s for s in admin_api.shipments() if s["return_id"] == "ret_7")
    admin_api.ship(replacement["id"], "yto", "YT777777")
    send_callback("yto", {"tracking_number": "YT777777",
                          "events": [tracking_event("y1", "delivered", 3)]})
    assert emitted("Delivered") == [], "the order's own parcel is not delivered"
    [event] = emitted("ReplacementDelivered")
    assert event["data"]["return_id"] == "ret_7"
    assert event["data"]["shipment_id"] == replacement["id"]


@pytest.mark.parametrize("how", ["forged", "other carrier's secret", "unsigned", "stale",
                                 "future", "body changed"])
def test_refused_callbacks_change_nothing(shipped, send_callback, db, emitted, problem, how):
    body = {"tracking_number": "SF100001", "events": [tracking_event("x1", "delivered", 1)]}
    before = snapshot(db)
    now = int(time.time())
    if how == "forged":
        response = send_callback("sf", body, secret="guessed")
    elif how == "other carrier's secret":
        response = send_callback("sf", body, secret="sandbox-secret-zto")
    elif how == "unsigned":
        response = send_callback("sf", body, signed=False)
    elif how == "stale":
        response = send_callback("sf", body, timestamp=now - 901)
    elif how == "future":
        response = send_callback("sf", body, timestamp=now + 3600)
    else:
        signature = sign("sandbox-secret-sf", now, b'{"tracking_number": "SF100001"}')
        response = send_callback("sf", body, timestamp=now, signature=signature)
    problem(response, 401, "callback-refused")
    assert snapshot(db) == before
    assert emitted("Delivered") == []


def test_a_configured_age_limit_and_secret_are_used(new_database):
    from logistics.app import create_app
    from logistics.definition import DEFINITION
    from logistics.settings import LogisticsSettings
    from service_runtime.testing.checks import migrated_app

    settings = LogisticsSettings(carrier_secrets={"sf": "real-secret"}, callback_max_age_s=10)
    with migrated_app(DEFINITION, create_app, new_database("logistics"),
                      settings=settings) as app:
        client = app.test_client()
        raw = b'{"tracking_number": "SF100001", "events": []}'
        old = str(int(time.time()) - 60)

        def post(carrier, ts, secret):
            return client.post(f"/api/v1/logistics/callbacks/{carrier}", data=raw, headers={
                "Content-Type": "application/json", "X-Carrier-Timestamp": ts,
                "X-Carrier-Signature": sign(secret, ts, raw)})

        assert post("sf", old, "real-secret").status_code == 401, "older than 10 s"
        now = str(int(time.time()))
        assert post("sf", now, "sandbox-secret-sf").status_code == 401, "demo secret is off"
        assert post("zto", now, "sandbox-secret-zto").status_code == 401, "not configured"
        # Signed right and fresh: then the body is checked (no events is invalid).
        assert post("sf", now, "real-secret").status_code == 422


@pytest.mark.parametrize("carrier", ["dhl", "store"])
def test_an_unknown_carrier_is_a_404(shipped, send_callback, problem, carrier, db):
    before = snapshot(db)
    body = {"tracking_number": "SF100001", "events": [tracking_event("x1", "delivered", 1)]}
    problem(send_callback(carrier, body, secret="sandbox-secret-sf"), 404, "unknown-carrier")
    assert snapshot(db) == before


def test_an_unknown_tracking_number_is_a_404(shipped, send_callback, problem, db):
    before = snapshot(db)
    problem(send_callback("zto", {"tracking_number": "SF100001", "events": [
        tracking_event("x1", "in_transit", 1)]}), 404, "unknown-tracking-number")
    problem(send_callback("sf", {"tracking_number": "SF999999", "events": [
        tracking_event("x1", "in_transit", 1)]}), 404, "unknown-tracking-number")
    assert snapshot(db) == before


def test_events_for_a_shipment_not_shipped_are_a_409(shipped, send_callback, problem, db):
    # A tracking number is only given when shipping; make the shipment look not shipped.
    with db.transaction() as session:
        session.execute(update(Shipment).values(status="ready"))
    before = snapshot(db)
    problem(send_callback("sf", {"tracking_number": "SF100001", "events": [
        tracking_event("x1", "in_transit", 1)]}), 409, "shipment-not-shipped")
    assert snapshot(db) == before


@pytest.mark.parametrize("body", [
    {"tracking_number": "SF100001", "events": []},
    {"tracking_number": "SF100001"},
    {"tracking_number": "SF100001", "events": [{"event_id": "a", "status": "lost",
                                                "at": T1.isoformat()}]},
    {"tracking_number": "SF100001", "events": [{"event_id": "a", "status": "delivered",
                                                "at": "2026-11-23T02:00:00"}]},
    {"tracking_number": "SF100001", "events": [{"event_id": "a", "status": "delivered",
                                                "at": T1.isoformat(), "extra": 1}]},
    {"tracking_number": "SF100001", "events": [tracking_event("a", "in_transit", 1)] * 101},
    {"tracking_number": "SF100001", "events": [tracking_event("a\x00", "in_transit", 1)]},
    {"tracking_number": "SF100001",
     "events": [tracking_event("a", "in_transit", 1, location="x\x00")]},
    {"tracking_number": "SF100001",
     "events": [tracking_event("a", "in_transit", 1, description="x\x00")]},
    b"{not json",
])
def test_a_signed_but_malformed_body_is_refused(shipped, send_callback, db, body):
    before = snapshot(db)
    response = send_callback("sf", body)
    assert response.status_code in (400, 422), response.get_json()
    assert response.content_type == "application/problem+json"
    assert snapshot(db) == before


def test_callbacks_are_counted_by_outcome(shipped, send_callback, client):
    """SREs see applied and refused callbacks, and the business events, on /metrics."""
    send_callback("sf", {"tracking_number": "SF100001",
                         "events": [tracking_event("m1", "in_transit", 1)]})
    send_callback("sf", {"tracking_number": "SF100001", "events": []}, secret="forged")
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'logistics_carrier_callbacks_total{carrier="sf",outcome="applied"}' in metrics
    assert 'logistics_carrier_callbacks_total{carrier="sf",outcome="refused"}' in metrics
    assert 'business_events_total{event="Shipped",service="logistics"}' in metrics
