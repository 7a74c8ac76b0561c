"""Group-buy orders ship only once their group succeeded: a paid order of a group not
known to have succeeded gets a ``held`` shipment that cannot ship; GroupBuySucceeded
(before or after the payment) makes it ready; a failed group's cancellation cancels it."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import event_contracts.events
from service_runtime.consumer import decode

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
EXAMPLES = Path(event_contracts.events.__file__).parent.parent / "examples"


def make_event(event_type: str, _event_id: None, **changes):  # type: ignore[no-untyped-def]
    """The contract's example with ``changes`` to its data, as the consumer decodes it."""
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    raw["id"] = str(uuid.uuid4())
    raw["data"].update(changes)
    raw["key"] = raw["data"].get("order_id") or raw["data"]["group_id"]
    return decode(json.dumps(raw).encode())


def pay_in_group(saga, order_id: str, group_id: str = "grp_1") -> bool:
    return saga.consumer.apply(make_event(
        "PaymentConfirmed", None, order_id=order_id, user_id="alice", method="balance",
        confirmed_at=(T0 + timedelta(minutes=5)).isoformat(), group_id=group_id))


def succeed(saga, order_ids: list[str], group_id: str = "grp_1") -> bool:
    return saga.consumer.apply(make_event(
        "GroupBuySucceeded", None, group_id=group_id, campaign_id="gbc_1",
        order_ids=order_ids, succeeded_at=(T0 + timedelta(minutes=30)).isoformat()))


def test_held_until_the_group_succeeds_then_ships(saga, admin_api, emitted):
    for order_id in ("ord_1", "ord_2"):
        saga.place(order_id=order_id)
        assert pay_in_group(saga, order_id)
    held = admin_api.only_shipment("ord_1")
    assert held["status"] == "held"
    response = admin_api.ship(held["id"])
    assert response.status_code == 409
    assert emitted("Shipped") == []
    assert [s["id"] for s in admin_api.shipments(status="held")] != []
    assert succeed(saga, ["ord_1", "ord_2"])
    assert succeed(saga, ["ord_1", "ord_2"])  # a republished event: nothing new
    for order_id in ("ord_1", "ord_2"):
        assert admin_api.only_shipment(order_id)["status"] == "ready"
    assert admin_api.ship(held["id"]).status_code == 200
    assert len(emitted("Shipped")) == 1


def test_success_heard_before_the_payment(saga, admin_api):
    saga.place(order_id="ord_3")
    assert succeed(saga, ["ord_3"], group_id="grp_early")
    assert pay_in_group(saga, "ord_3", group_id="grp_early")
    assert admin_api.only_shipment("ord_3")["status"] == "ready"


def test_a_failed_groups_cancellation_cancels_the_held_parcel(saga, admin_api):
    saga.place(order_id="ord_4")
    pay_in_group(saga, "ord_4", group_id="grp_failed")
    saga.cancel(order_id="ord_4")
    assert admin_api.only_shipment("ord_4")["status"] == "cancelled"
    assert succeed(saga, ["ord_4"], group_id="grp_failed")  # cannot happen, changes nothing
    assert admin_api.only_shipment("ord_4")["status"] == "cancelled"


def test_an_ordinary_payment_is_ready_at_once(saga, admin_api):
    saga.place(order_id="ord_5")
    saga.pay(order_id="ord_5")
    assert admin_api.only_shipment("ord_5")["status"] == "ready"


def test_payment_and_success_at_the_same_moment_never_leave_a_parcel_held(db, admin_api):
    """Two replicas: one handles PaymentConfirmed while the other handles
    GroupBuySucceeded. Whichever commits first, the parcel ends ready (both take the
    group's row first). Real threads on the real database (PostgreSQL with
    TEST_DATABASE_URL)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from logistics import group_holds, orders

    days = {"standard": 3, "express": 1, "pickup": 2}

    def pay(barrier: Barrier, order_id: str, group_id: str) -> None:
        barrier.wait()
        with db.transaction() as session:
            orders.prepare_shipment(session, order_id, "alice", T0, False, days,
                                    group_id=group_id)

    def succeed_now(barrier: Barrier, order_id: str, group_id: str) -> None:
        barrier.wait()
        with db.transaction() as session:
            group_holds.group_succeeded(session, group_id, [order_id], T0)

    for n in range(5):
        order_id, group_id, barrier = f"ord_race{n}", f"grp_race{n}", Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [pool.submit(step, barrier, order_id, group_id)
                         for step in (pay, succeed_now)]:
                done.result()
        assert admin_api.only_shipment(order_id)["status"] == "ready"
