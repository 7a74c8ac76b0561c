"""What the checkout pages do with the API: place the order, wait for it to become payable,
start its payment, and say where a payment stands.

An order is ``pending`` until the inventory reserves its stock, then ``awaiting_payment``
(only then does POST /payments take it). The wait is short and server-side; an order
still pending after it is shown on a page that refreshes itself until it is payable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import session

from shop_web import gateway_client as api

# How long POST /checkout waits for the stock reservation before showing a waiting page:
# long enough for the usual case (well under a second), short enough to hold no worker.
PAYABLE_WAIT_S = 4.0
PAYABLE_POLL_S = 0.2
PAYMENT_METHODS = ("balance", "alipay", "wechat", "card", "cod")
PROVIDERS = ("alipay", "wechat", "card")
DELIVERY_METHODS = ("standard", "express", "pickup")
PAID_STATUSES = {"paid", "shipped", "delivered", "completed", "refunded", "partially_refunded"}
# The session remembers the payment the shopper left for a provider's cashier, so that
# a shopper who comes back by other means (the browser's back button) sees its result.
IN_FLIGHT = "paying_order"


def place_order(address_id: str, delivery_method: str, key: str,
                offers: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST /orders for the cart; the same ``key`` (one press of the button) gives one order.
    ``offers``: the coupon and points chosen (``coupon_id``, ``points``)."""
    return api.post("/orders", {"address_id": address_id, "delivery_method": delivery_method,
                                **(offers or {})}, idempotency_key=key)


def wait_until_payable(order: dict[str, Any]) -> dict[str, Any]:
    """The order once it left ``pending`` (or as it is after :data:`PAYABLE_WAIT_S`)."""
    deadline = time.monotonic() + PAYABLE_WAIT_S
    while order["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(PAYABLE_POLL_S)
        order = api.get(f"/orders/{order['id']}")
    return order


@dataclass(frozen=True)
class Started:
    """A payment just made: where the browser goes next (a provider's cashier, or None to
    go to the shop's result page)."""

    payment: dict[str, Any]
    cashier_url: str | None


def start_payment(order_id: str, method: str, key: str) -> Started:
    """POST /payments; a provider's payment continues at its cashier (``next_action``)."""
    # The cashier brings the shopper back to this order's result page (a path of the shop:
    # the payment service puts its public address in front).
    payment = api.post("/payments", {"order_id": order_id, "method": method,
                                     "return_url": f"/orders/{order_id}/result"},
                       idempotency_key=key)
    action = payment.get("next_action") or {}
    url = action.get("url") if payment.get("status") == "pending" else None
    if url:
        session[IN_FLIGHT] = order_id
    return Started(payment, url)


@dataclass(frozen=True)
class Outcome:
    """Where an order's payment stands, as the result page says it.

    ``state``: ``paid``, ``cod`` (cash on delivery chosen), ``processing`` (stock being
    reserved, or a provider not yet heard from), ``failed`` (the last attempt declined),
    ``unpaid`` (payable, nothing tried), ``cancelled``.
    """

    state: str
    order: dict[str, Any]
    payment: dict[str, Any] | None
    reason: str = ""

    @property
    def final(self) -> bool:
        return self.state != "processing"


def outcome(order_id: str) -> Outcome:
    order = api.get(f"/orders/{order_id}")
    payments = api.get("/payments", order_id=order_id) or []
    latest = payments[0] if payments else None  # newest first
    status = order["status"]
    if status in PAID_STATUSES or any(p["status"] == "succeeded" for p in payments):
        paid = next((p for p in payments if p["status"] == "succeeded"), latest)
        return Outcome("paid", order, paid)
    if (order.get("payment") or {}).get("cash_on_delivery") or (
            latest and latest["status"] == "awaiting_delivery"):
        return Outcome("cod", order, latest)
    if status == "cancelled":
        notes = [entry.get("note") or "" for entry in order.get("timeline") or []]
        return Outcome("cancelled", order, latest, notes[-1] if notes else "")
    if status == "pending" or (latest and latest["status"] == "pending"):
        return Outcome("processing", order, latest)
    if latest and latest["status"] == "failed":
        return Outcome("failed", order, latest, latest.get("failure_reason") or "")
    return Outcome("unpaid", order, latest)


def in_flight_order() -> str | None:
    return session.get(IN_FLIGHT)


def settled(order_id: str) -> None:
    """The shopper has seen how the payment ended: stop pointing them at it."""
    if session.get(IN_FLIGHT) == order_id:
        session.pop(IN_FLIGHT, None)

