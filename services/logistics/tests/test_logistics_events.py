"""The worker's handlers: orders remembered, one shipment per paid order, cancellations,
exchange replacements; duplicates and events arriving in any order."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY as METRICS
from sqlalchemy import func, select

import event_contracts.events
from event_contracts import REGISTRY
from logistics.handlers import handlers_for
from logistics.models import Order, Shipment, TrackingEvent
from logistics.settings import LogisticsSettings
from service_runtime.consumer import decode

EXAMPLES = Path(event_contracts.events.__file__).parent.parent / "examples"

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # 16:00 in China
CONSUMED = ["CashOnDeliveryChosen", "GroupBuySucceeded", "OrderCancelled", "OrderPlaced",
            "PaymentConfirmed", "ReturnReceived"]


def example(event_type: str) -> dict:
    return json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())


def shipments(db, order_id: str = "ord_1") -> list[Shipment]:
    with db.read() as session:
        return list(session.scalars(
            select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)))


def timeline(db, shipment_id: str) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(TrackingEvent.status).where(
            TrackingEvent.shipment_id == shipment_id).order_by(TrackingEvent.id)))


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


# -- contracts ------------------------------------------------------------------------


def test_logistics_consumes_exactly_these_events():
    assert handlers_for(LogisticsSettings()).event_types == CONSUMED


@pytest.mark.parametrize("event_type", CONSUMED)
def test_each_consumed_example_matches_its_contract_and_applies(event_type, consumer):
    raw = example(event_type)
    assert (raw["type"], raw["version"]) == (event_type, 1)
    REGISTRY.validate_outgoing(event_type, 1, raw["data"])
    assert consumer.apply(decode(json.dumps(raw).encode())) is True


# -- OrderPlaced ----------------------------------------------------------------------


def test_an_order_is_remembered(saga, db):
    assert saga.place(method="pickup", lines=(("KETTLE", 1), ("MUG", 2))) is True
    with db.read() as session:
        order = session.get(Order, "ord_1")
        assert (order.user_id, order.delivery_method, order.address_id) == (
            "alice", "pickup", "addr_1")
        assert order.shipping_address["recipient"] == "李雷"
        assert order.lines == [{"sku": "KETTLE", "quantity": 1}, {"sku": "MUG", "quantity": 2}]
    assert shipments(db) == [], "nothing ships before it is paid"


# -- PaymentConfirmed / CashOnDeliveryChosen ------------------------------------------


def test_a_paid_order_gets_one_ready_shipment_with_an_eta(saga, db):
    saga.place(method="standard")
    assert saga.pay(at=T0) is True
    [shipment] = shipments(db)
    assert (shipment.status, shipment.delivery_method, shipment.cash_on_delivery) == (
        "ready", "standard", False)
    assert shipment.estimated_delivery == date(2026, 11, 25)
    assert shipment.pickup_code is None and shipment.return_id is None
    assert timeline(db, shipment.id) == ["ready"]


def test_a_redelivered_or_repeated_payment_makes_no_second_shipment(saga, db):
    saga.place()
    event_id = str(uuid.uuid4())
    assert saga.pay(event_id=event_id) is True
    assert saga.pay(event_id=event_id) is False, "the inbox skips a redelivery"
    assert saga.pay() is True, "another event id (a republished event)"
    assert saga.cod() is True
    assert len(shipments(db)) == 1
    assert count(db, TrackingEvent) == 1


def test_a_payment_before_the_order_makes_the_shipment_which_the_order_completes(saga, db):
    assert saga.pay(at=T0) is True
    [early] = shipments(db)
    assert (early.status, early.delivery_method, early.estimated_delivery) == ("ready", None, None)

    assert saga.place(method="pickup") is True
    [shipment] = shipments(db)
    assert shipment.id == early.id
    assert shipment.delivery_method == "pickup"
    assert shipment.estimated_delivery == date(2026, 11, 24), "counted from the payment"
    assert len(shipment.pickup_code) == 6 and shipment.pickup_code.isdigit()

    assert saga.place(method="pickup") is True  # a republished OrderPlaced
    assert shipments(db)[0].pickup_code == shipment.pickup_code, "the code is not redrawn"


def test_a_payment_teaches_the_owner_of_an_order_not_placed_yet(saga, db):
    saga.pay(user_id="bob")
    with db.read() as session:
        assert session.get(Order, "ord_1").user_id == "bob"


def test_cash_on_delivery_ships_unpaid_and_its_later_payment_adds_nothing(saga, db):
    saga.place()
    assert saga.cod() is True
    [shipment] = shipments(db)
    assert (shipment.status, shipment.cash_on_delivery) == ("ready", True)
    # The payment service confirms a cash-on-delivery payment after Delivered.
    assert saga.pay(method="cod") is True
    [same] = shipments(db)
    assert (same.id, same.cash_on_delivery) == (shipment.id, True)


def test_an_online_payment_of_a_cash_on_delivery_order_stops_cash_collection(saga, db):
    saga.place()
    saga.cod()
    saga.pay(method="alipay")
    [shipment] = shipments(db)
    assert shipment.cash_on_delivery is False
    assert shipment.status == "ready"


# -- OrderCancelled -------------------------------------------------------------------


def test_a_cancelled_order_cancels_its_ready_shipment_once(saga, db):
    saga.place()
    saga.pay()
    event_id = str(uuid.uuid4())
    assert saga.cancel(event_id=event_id) is True
    [shipment] = shipments(db)
    assert shipment.status == "cancelled"
    assert shipment.cancelled_at == T0 + timedelta(minutes=10)
    assert saga.cancel(event_id=event_id) is False
    assert saga.cancel() is True
    assert timeline(db, shipment.id) == ["ready", "cancelled"]


def test_a_payment_after_the_cancellation_makes_no_shipment(saga, db):
    saga.place()
    saga.cancel()
    assert saga.pay() is True
    assert saga.cod() is True
    assert shipments(db) == []


def test_a_cancellation_before_anything_else_is_remembered(saga, db):
    assert saga.cancel() is True
    assert saga.pay() is True
    assert saga.place() is True
    assert shipments(db) == []
    with db.read() as session:
        assert session.get(Order, "ord_1").delivery_method == "express"


LOGISTICS = {"service": "logistics"}


def test_a_cancellation_after_shipping_marks_the_parcel_for_interception_once(
        saga, db, admin_api):
    # The merchant shipped a moment before the buyer's cancellation (and refund) arrived.
    saga.place()
    saga.pay()
    saga.place("ord_2")
    saga.pay("ord_2")
    assert admin_api.ship(shipments(db, "ord_1")[0].id).status_code == 200
    assert admin_api.ship(shipments(db, "ord_2")[0].id, tracking_number="SF100002"
                          ).status_code == 200
    before = METRICS.get_sample_value("logistics_intercepts_requested_total", LOGISTICS) or 0
    event_id = str(uuid.uuid4())
    assert saga.cancel(event_id=event_id) is True
    assert saga.cancel() is True  # the same fact again, as another event
    [shipment] = shipments(db, "ord_1")
    assert shipment.status == "shipped", "the parcel is under way: it cannot be cancelled"
    assert shipment.intercept_requested_at == T0 + timedelta(minutes=10)
    assert timeline(db, shipment.id) == ["ready", "shipped", "intercept_requested"]
    assert METRICS.get_sample_value("logistics_intercepts_requested_total", LOGISTICS) == before + 1

    to_intercept = admin_api.shipments(intercept_requested="true")
    assert [s["order_id"] for s in to_intercept] == ["ord_1"]
    assert to_intercept[0]["intercept_requested_at"]
    assert [s["order_id"] for s in admin_api.shipments(intercept_requested="false")] == ["ord_2"]


def test_a_delivered_parcel_is_not_marked_for_interception(saga, db, admin_api):
    saga.place(method="pickup")
    saga.pay()
    shipment = admin_api.only_shipment()
    assert admin_api.ship(shipment["id"], carrier="store").status_code == 200
    with db.read() as session:
        code = session.get(Shipment, shipment["id"]).pickup_code
    assert admin_api.collect(shipment["id"], code).status_code == 200
    saga.cancel()
    [delivered] = shipments(db)
    assert (delivered.status, delivered.intercept_requested_at) == ("delivered", None)


def test_a_cancellation_touches_only_its_own_order(saga, db):
    saga.place("ord_1")
    saga.pay("ord_1")
    saga.place("ord_2")
    saga.pay("ord_2")
    saga.cancel("ord_2")
    assert shipments(db, "ord_1")[0].status == "ready"
    assert shipments(db, "ord_2")[0].status == "cancelled"


# -- ReturnReceived -------------------------------------------------------------------


def test_an_exchange_gets_one_replacement_shipment(saga, db):
    saga.place(method="standard")
    saga.pay()
    event_id = str(uuid.uuid4())
    assert saga.receive_return("ret_9", lines=(("MUG", 1),), event_id=event_id) is True
    assert saga.receive_return("ret_9", lines=(("MUG", 1),), event_id=event_id) is False
    assert saga.receive_return("ret_9", lines=(("MUG", 1),)) is True, "republished"
    original, replacement = shipments(db)
    assert original.return_id is None
    assert (replacement.return_id, replacement.status, replacement.lines) == (
        "ret_9", "ready", [{"sku": "MUG", "quantity": 1}])
    assert replacement.delivery_method == "standard"
    assert replacement.estimated_delivery == date(2026, 11, 30), "received on the 27th"
    assert replacement.cash_on_delivery is False

    assert saga.receive_return("ret_10", lines=(("KETTLE", 1),)) is True
    assert [s.return_id for s in shipments(db)] == [None, "ret_9", "ret_10"]


@pytest.mark.parametrize("kind", ["return_refund", "refund_only"])
def test_other_returns_ship_nothing(saga, db, kind):
    saga.place()
    saga.pay()
    assert saga.receive_return(kind=kind) is True
    assert len(shipments(db)) == 1


def test_an_exchange_before_the_order_is_known_gets_its_method_later(saga, db):
    saga.receive_return("ret_1")
    [replacement] = shipments(db)
    assert replacement.delivery_method is None
    saga.place(method="pickup")
    [replacement] = shipments(db)
    assert replacement.delivery_method == "pickup" and len(replacement.pickup_code) == 6


@pytest.mark.parametrize("event_type", CONSUMED)
def test_events_with_fields_added_later_still_apply(event_type, consumer):
    raw = example(event_type)
    raw["data"]["added_in_a_later_release"] = {"anything": 1}
    event = decode(json.dumps(raw).encode())
    assert "added_in_a_later_release" not in event.data
    assert consumer.apply(event) is True


def test_transit_days_are_configurable(saga_with, db, monkeypatch):
    monkeypatch.setenv("TRANSIT_DAYS_STANDARD", "5")
    saga = saga_with(LogisticsSettings.from_env())
    saga.place(method="standard")
    saga.pay(at=T0)
    assert shipments(db)[0].estimated_delivery == date(2026, 11, 27)
