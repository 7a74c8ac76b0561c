"""Placing an order: priced through the marketing quote (``order.pricing``), stored
``pending`` with its breakdown and its ``OrderPlaced`` event in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from order.domain import OrderStatus, RequestedLine, payment_deadline
from order.events import publish_order_placed
from order.models import Order, OrderLine, OrderTimelineEntry
from order.pricing import CheckoutChoice, PricedCheckout, Quote, price_checkout, wanted_lines
from service_runtime.db import Database
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now


def place_order(
    db: Database,
    user_id: str,
    lines: Sequence[RequestedLine] | None,
    delivery_method: str,
    address_id: str,
    idempotency_key: IdempotencyKey | None,
    read_address: Callable[[str], Mapping[str, str | None]],
    *,
    payment_timeout_s: int,
    quote: Callable[[Quote], Quote],
    coupon_code: str | None = None,
    coupon_id: str | None = None,
    points: int = 0,
    read_cart: Callable[[], Sequence[RequestedLine]] | None = None,
    campaign: Mapping[str, Any] | None = None,
) -> tuple[Order, bool]:
    """Store a ``pending`` order and its ``OrderPlaced`` event together; return (order, created).

    The order keeps a copy of the caller's address ``address_id`` (``read_address``) and,
    without ``lines``, takes what to order from the caller's cart (``read_cart``); it is
    priced by ``order.pricing.price_checkout`` (the quote, with no coupon suggested) and
    its total is the quote's payable. All of that is read outside any transaction and only
    when the order is really created. Unpaid after ``payment_timeout_s``, the order is
    cancelled (``order.deadlines``). A repeated ``Idempotency-Key`` returns the first order;
    sent with a different request it is a 422 ``idempotency-key-reused``. ``campaign``:
    bought through a campaign (``order.group_checkout``): priced at its price, kept on
    the order and in ``OrderPlaced``.
    """

    def create() -> Order:
        wanted = wanted_lines(lines, read_cart)
        priced = price_checkout(db, wanted, CheckoutChoice(delivery_method, coupon_id,
                                                           coupon_code, points, campaign),
                                quote, suggest_coupon=False)
        address = dict(read_address(address_id))
        at = now()
        order = Order(
            id=time_ordered_id("ord"),
            user_id=user_id,
            # Waits for PaymentDue (stock, coupon and points held) or a rejection.
            status=OrderStatus.PENDING,
            delivery_method=delivery_method,
            address_id=address_id,
            shipping_address=address,
            **idempotency_columns(idempotency_key),
            coupon_code=coupon_code,
            payment_due_at=payment_deadline(at, payment_timeout_s),
            cash_on_delivery=False,
            refunded_amount=0,
            campaign=dict(campaign) if campaign else None,
            created_at=at,
            updated_at=at,
            **breakdown(priced),
            timeline=[OrderTimelineEntry(status=OrderStatus.PENDING,
                                         note="order placed; reserving stock", at=at)],
        )
        with db.transaction() as session:
            session.add(order)
            session.flush()
            publish_order_placed(session, order)
        return order

    return create_once(db, Order, user_id, idempotency_key, create)


def breakdown(priced: PricedCheckout) -> dict:
    """The order's columns and lines from its checked quote."""
    quote = priced.quote
    applied = quote.get("applied_coupon")
    return {
        "total_amount": quote["payable"]["amount"],
        "currency": priced.currency,
        "discount_total": quote["discount_total"]["amount"],
        "shipping_amount": quote["shipping"]["amount"],
        "adjustments": [{"kind": a["kind"], "source_id": a.get("source_id"),
                         "label": a["label"], "amount": a["amount"]}
                        for a in quote["adjustments"]],
        # The engine names it user_coupon_id; a user coupon's JSON elsewhere names it id.
        "user_coupon_id": (str(applied.get("user_coupon_id") or applied["id"])
                           if applied else None),
        "points_used": int(quote["points_used"]),
        "lines": [
            OrderLine(position=i, sku=line.sku, quantity=line.quantity,
                      unit_amount=line.unit_price.amount,
                      product_id=priced.product_ids[line.sku],
                      payable_amount=quoted["payable"]["amount"],
                      points=int(quoted.get("points") or 0),
                      allocations=[{"kind": a["kind"], "source_id": a.get("source_id"),
                                    "amount": a["amount"]}
                                   for a in quoted.get("allocations", [])])
            for i, (line, quoted) in enumerate(zip(priced.lines, quote["lines"], strict=True))
        ],
    }
