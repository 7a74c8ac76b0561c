"""The order service's business and saga metrics change exactly when an order does: once
per committed change, never for a redelivered event, a late no-op or a rolled-back
transaction; the worker's job counts orders by status and those stuck past a timer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from test_order_saga import BODY, delivered, inbound, paid, payable, shipped

from order.domain import OrderStatus
from order.models import Order
from order.saga_stats import Limits, export_order_stats
from order.status_changes import move_if_unchanged


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def stage_count(stage: str) -> float:
    return sample("order_saga_stage_seconds_count", stage=stage)


class Delta:
    """What the listed samples changed by since this was made."""

    def __init__(self, *samples: tuple) -> None:
        self.samples = samples
        self.before = [sample(name, **labels) for name, labels in samples]

    def __call__(self) -> list[float]:
        return [sample(name, **labels) - before
                for (name, labels), before in zip(self.samples, self.before, strict=True)]


STAGES = [("order_saga_stage_seconds_count", {"stage": stage})
          for stage in ("reserved", "paid", "shipped", "delivered")]


@pytest.fixture
def place(client, alice):
    def placed(**changes) -> str:
        response = client.post("/api/v1/orders", json={**BODY, **changes}, headers=alice)
        assert response.status_code == 201, response.json
        return response.json["id"]
    return placed


def test_placing_counts_once_and_a_replayed_checkout_does_not(client, alice):
    delta = Delta(("orders_placed_total", {"currency": "CNY"}))
    headers = {**alice, "Idempotency-Key": "metrics-once"}
    assert client.post("/api/v1/orders", json=BODY, headers=headers).status_code == 201
    assert client.post("/api/v1/orders", json=BODY, headers=headers).status_code in (200, 201)
    assert delta() == [1]
    assert client.post("/api/v1/orders", json={**BODY, "lines": []},
                       headers=alice).status_code == 422
    assert delta() == [1]


def test_each_stage_is_observed_once_per_order_and_never_on_redelivery(place, consumer):
    order_id = place()
    delta = Delta(*STAGES, ("orders_paid_total", {"currency": "CNY"}),
                  ("orders_gmv_fen_total", {"currency": "CNY"}))
    due = payable(order_id)
    assert consumer.apply(due)
    assert not consumer.apply(due)  # the same event again: the inbox skips it
    consumer.apply(payable(order_id))  # another copy, a new id: a no-op, nothing counted
    assert delta() == [1, 0, 0, 0, 0, 0]
    for event in (paid(order_id), paid(order_id), shipped(order_id), shipped(order_id),
                  delivered(order_id), delivered(order_id)):
        consumer.apply(event)
    assert delta() == [1, 1, 1, 1, 1, 14900]


def test_a_payment_before_payment_due_goes_through_both_stages_at_once(place, consumer):
    order_id = place()
    delta = Delta(*STAGES[:2], ("orders_paid_total", {"currency": "CNY"}))
    consumer.apply(paid(order_id))  # the money first: counted paid, no stage yet
    assert delta() == [0, 0, 1]
    consumer.apply(payable(order_id))  # pending -> awaiting_payment -> paid
    assert delta() == [1, 1, 1]


def test_the_stage_time_is_measured_from_placing(place, consumer, db):
    order_id = place()
    with db.transaction() as session:  # placed an hour ago
        order = session.get(Order, order_id)
        order.created_at = order.created_at - timedelta(hours=1)
    below = sample("order_saga_stage_seconds_bucket", stage="reserved", le="1800.0")
    within = sample("order_saga_stage_seconds_bucket", stage="reserved", le="3600.0")
    total = sample("order_saga_stage_seconds_sum", stage="reserved")
    consumer.apply(payable(order_id))
    assert sample("order_saga_stage_seconds_bucket", stage="reserved", le="1800.0") == below
    assert sample("order_saga_stage_seconds_bucket", stage="reserved", le="3600.0") == \
        within  # a little over the hour
    assert 3600 <= sample("order_saga_stage_seconds_sum", stage="reserved") - total < 3700


def test_a_rolled_back_transaction_counts_nothing(place, consumer, db, monkeypatch):
    order_id = place()
    delta = Delta(STAGES[0])
    with pytest.raises(RuntimeError), db.transaction() as session:
        order = session.get(Order, order_id)
        assert move_if_unchanged(session, order, [OrderStatus.AWAITING_PAYMENT], ["due"],
                                 datetime.now(UTC))
        raise RuntimeError("crashed before the commit")
    assert delta() == [0]

    import order.saga as saga

    cancelled = Delta(("orders_cancelled_total", {"reason": "stock"}))

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is away")

    monkeypatch.setattr(saga, "publish_order_cancelled", broken)
    rejected = inbound("StockRejected", order_id=order_id)
    with pytest.raises(RuntimeError):
        consumer.apply(rejected)
    assert cancelled() == [0]
    monkeypatch.undo()
    assert consumer.apply(rejected)  # the retry commits: counted now, once
    assert cancelled() == [1]


def test_cancellations_count_by_reason(place, consumer, client, alice):
    buyer, late = place(), place()
    delta = Delta(("orders_cancelled_total", {"reason": "buyer"}),
                  ("orders_cancelled_total", {"reason": "payment_deadline"}))
    assert client.post(f"/api/v1/orders/{buyer}/cancel", json={},
                       headers=alice).status_code == 200
    assert client.post(f"/api/v1/orders/{buyer}/cancel", json={},
                       headers=alice).status_code == 409
    from order.deadlines import cancel_overdue

    consumer.apply(payable(late))
    db = consumer.db
    assert cancel_overdue(db, datetime.now(UTC) + timedelta(days=1)) == 1
    assert cancel_overdue(db, datetime.now(UTC) + timedelta(days=1)) == 0
    assert delta() == [1, 1]


def test_a_payment_on_a_cancelled_order_is_not_gmv(place, consumer, client, alice):
    order_id = place()
    client.post(f"/api/v1/orders/{order_id}/cancel", json={}, headers=alice)
    delta = Delta(("orders_paid_total", {"currency": "CNY"}),
                  ("orders_gmv_fen_total", {"currency": "CNY"}))
    consumer.apply(paid(order_id))
    assert delta() == [0, 0]


def test_the_worker_counts_orders_by_status_and_the_stuck_ones(place, consumer, db):
    waiting, payable_one, done = place(), place(), place()
    consumer.apply(payable(payable_one))
    for event in (payable(done), paid(done), shipped(done),
                  delivered(done, at="2026-11-25T10:00:00+00:00")):
        consumer.apply(event)
    limits = Limits(pending_s=300, auto_complete_s=7 * 86400, grace_s=60)
    now = datetime.now(UTC)
    export_order_stats(db, now, limits=limits)
    assert sample("orders_by_status", status="pending") == 1
    assert sample("orders_by_status", status="awaiting_payment") == 1
    assert sample("orders_by_status", status="delivered") == 1
    assert sample("orders_by_status", status="cancelled") == 0  # every status, 0 when none
    assert sample("orders_stuck", status="pending", timer="saga_answer") == 0
    assert sample("orders_stuck", status="awaiting_payment", timer="payment_deadline") == 0

    # An hour on, no timer ran: both unpaid orders are past their 30-minute deadline and
    # the pending one waits for the saga's answers; delivery was long ago (2026-11-25).
    later = now + timedelta(hours=1)
    export_order_stats(db, later, limits=limits)
    assert sample("orders_stuck", status="pending", timer="saga_answer") == 1
    assert sample("orders_stuck", status="pending", timer="payment_deadline") == 1
    assert sample("orders_stuck", status="awaiting_payment", timer="payment_deadline") == 1
    assert sample("orders_stuck", status="delivered", timer="auto_complete") == (
        1 if later > datetime(2026, 12, 2, 10, 1, tzinfo=UTC) else 0)
    assert sample("orders_stats_timestamp_seconds", service="order") == later.timestamp()
    assert waiting


def test_the_worker_runs_the_stats_job(db):
    from order.definition import DEFINITION
    from order.settings import OrderSettings

    loops = [factory(db) for factory in
             DEFINITION.loops_for(OrderSettings(stats_interval_s=3600))]
    assert [loop.__name__ for loop in loops] == ["order_timers", "order_saga_stats"]
    stop = threading.Event()
    before = sample("job_runs_total", service="order", job="order-saga-stats")
    thread = threading.Thread(target=loops[1], args=(stop,))
    thread.start()
    try:
        from service_runtime.testing.processes import wait_until

        wait_until(lambda: sample("job_runs_total", service="order",
                                  job="order-saga-stats") > before, 30, 0.05, "a stats pass")
    finally:
        stop.set()
        thread.join()
