"""The coupon counters change exactly when a coupon does: locked, used, released once per
order, never for a redelivered or late event, a refused lock or a rolled-back
transaction."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

import marketing.orders as orders

LINES = [{"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 1, "product_id": 1,
          "unit_price": {"amount": 30000, "currency": "CNY"}}]


def coupons(step: str) -> float:
    return REGISTRY.get_sample_value("coupons_total", {"step": step}) or 0.0


class Delta:
    def __init__(self) -> None:
        self.before = {step: coupons(step) for step in ("locked", "used", "released")}

    def __call__(self) -> dict[str, float]:
        return {step: coupons(step) - before for step, before in self.before.items()}


def claim(client, headers, template_id: str) -> str:
    response = client.post(f"/api/v1/coupons/{template_id}/claim", headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def place(apply, order_id: str, coupon_id: str, event_id: str | None = None) -> bool:
    return apply("OrderPlaced", event_id=event_id, order_id=order_id, user_id="alice",
                 lines=LINES, total={"amount": 29000, "currency": "CNY"},
                 user_coupon_id=coupon_id, adjustments=[],
                 placed_at=datetime.now(UTC).isoformat())


@pytest.fixture
def apply(consumer, make_event):
    def deliver(event_type: str, event_id: str | None = None, **data) -> bool:
        event = make_event(event_type, **data)
        return consumer.apply(replace(event, id=event_id) if event_id else event)
    return deliver


def test_locked_then_used_once_each(client, alice, apply, new_coupon):
    coupon = claim(client, alice, new_coupon()["id"])
    delta = Delta()
    assert place(apply, "ord_m1", coupon, event_id="evt-placed-m1")
    assert not place(apply, "ord_m1", coupon, event_id="evt-placed-m1")  # the inbox
    place(apply, "ord_m1", coupon)  # published again (a new id): already locked
    place(apply, "ord_m2", coupon)  # another order: refused, nothing locked
    assert delta() == {"locked": 1, "used": 0, "released": 0}
    apply("PaymentConfirmed", order_id="ord_m1", user_id="alice")
    apply("PaymentConfirmed", order_id="ord_m1", user_id="alice")
    apply("OrderCancelled", order_id="ord_m1", user_id="alice")  # after payment: stays used
    assert delta() == {"locked": 1, "used": 1, "released": 0}


def test_released_once_when_the_order_is_cancelled(client, alice, apply, new_coupon):
    coupon = claim(client, alice, new_coupon()["id"])
    delta = Delta()
    place(apply, "ord_m3", coupon)
    apply("OrderCancelled", order_id="ord_m3", user_id="alice")
    apply("OrderCancelled", order_id="ord_m3", user_id="alice")
    assert delta() == {"locked": 1, "used": 0, "released": 1}


def test_a_rolled_back_lock_counts_nothing(client, alice, apply, new_coupon, monkeypatch):
    coupon = claim(client, alice, new_coupon()["id"])
    delta = Delta()

    class AwayOutbox:
        def emit(self, *args, **kwargs):
            raise RuntimeError("the outbox is away")

    monkeypatch.setattr(orders, "outbox", AwayOutbox())
    with pytest.raises(RuntimeError):
        place(apply, "ord_m4", coupon)
    assert delta() == {"locked": 0, "used": 0, "released": 0}
    monkeypatch.undo()
    assert place(apply, "ord_m4", coupon)
    assert delta() == {"locked": 1, "used": 0, "released": 0}
