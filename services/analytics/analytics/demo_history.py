"""A demo shopping history, in plain Python: synthetic shoppers, their behaviour events and
their orders over the past days, from a seeded random generator (the same catalog gives the
same history, shifted to the day it is made).

Only what the service would have received is made: behaviour events as ``POST /track``
keeps them (rows of ``behaviour_events``; older than a client may send, which is the point)
and business events' ``data`` in their contract's JSON shape (``OrderPlaced``,
``PaymentConfirmed``, ``OrderCancelled``, ``RefundIssued``). ``analytics.demo_history_job``
applies them through the handlers' own domain functions.

Shoppers prefer one or two categories (most of their views and purchases are there) and a
product is often looked at, and bought, with its "companion" (the next product of its
category), so bought together, viewed together and personal recommendations have something
to say. Some shoppers only browse, and each may stop coming back after any visit, so the
funnel narrows and the retention cohorts shrink as they would. Every id
starts with ``demo-``: nobody can take them for a real shopper's or order's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analytics.domain import EventType
from event_contracts.events.order import CancelledBy
from event_contracts.vocabulary import (
    AdjustmentKind,
    DeliveryMethod,
    PaymentMethod,
    RefundDestination,
)

SHOPPERS = 500
SEED = 14
PREFIX = "demo-"
FAVOURITE_SHARE = 0.75  # of a shopper's views: the rest wander the whole catalog
BUYER_SHARE = 0.6  # of shoppers: the others only browse (and fill carts they abandon)
CART_CHANCE = 0.35  # a viewed product put in the cart
ORDER_CHANCE = 0.6  # a buyer's visit with a cart ends in an order
CHURN_CHANCE = 0.2  # after each visit, the shopper never comes back
COMPANION_CHANCE = 0.5  # a visit goes on to its first product's companion too
PAID_SHARE = 0.82  # of orders; the others are cancelled unpaid
REFUND_SHARE = 0.06  # of paid orders, refunded in full some days later
PROMOTION_SHARE = 0.25  # of orders, with a demo promotion's discount of PROMOTION_PERCENT
PROMOTION_PERCENT = 10
MEAN_GAP_DAYS = 6.0  # between a shopper's visits


@dataclass(frozen=True)
class Sku:
    """A SKU the service knows (its product's category and name from the product facts)."""

    product_id: int
    category_id: int
    name: str
    sku: str
    price: int
    currency: str


@dataclass
class History:
    """What a shopper's clients sent (``behaviour_events`` rows) and the business events
    of their orders, each ``(event type, data as JSON)``, in the order they happened."""

    behaviour: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def orders(self) -> int:
        return sum(1 for event_type, _ in self.events if event_type == "OrderPlaced")


def shopper_id(number: int) -> str:
    return f"{PREFIX}shopper-{number:04d}"


def _iso(at: datetime) -> str:
    return at.isoformat()


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


@dataclass
class _Maker:
    """The generator's state: the catalog, the random source, the ids handed out."""

    rng: random.Random
    now: datetime
    skus: dict[int, list[Sku]]  # by product
    categories: dict[int, list[int]]  # category -> its products
    history: History = field(default_factory=History)
    order_count: int = 0

    def companion(self, product_id: int) -> int:
        siblings = self.categories[self.skus[product_id][0].category_id]
        return siblings[(siblings.index(product_id) + 1) % len(siblings)]

    def pick(self, favourites: list[int]) -> int:
        if self.rng.random() < FAVOURITE_SHARE:
            return self.rng.choice(self.categories[self.rng.choice(favourites)])
        return self.rng.choice(sorted(self.skus))

    def shopper(self, number: int, days: int) -> None:
        user_id = shopper_id(number)
        categories = sorted(self.categories)
        favourites = self.rng.sample(categories, k=min(len(categories), self.rng.choice((1, 2))))
        buyer = self.rng.random() < BUYER_SHARE
        day = self.rng.uniform(0, max(days - 1, 0))  # every shopper visits once at least
        visit = 0
        while day < days - 0.1:  # the last visit's events a few hours before now
            at = self.now - timedelta(days=days - day)
            visit += 1
            self.visit(user_id, f"{user_id}-v{visit:02d}", at, favourites, buyer)
            if self.rng.random() < CHURN_CHANCE:
                break
            day += self.rng.expovariate(1 / MEAN_GAP_DAYS)

    def visit(self, user_id: str, session_id: str, at: datetime, favourites: list[int],
              buyer: bool) -> None:
        step = 0

        def track(event_type: EventType, product_id: int | None = None,
                  path: str | None = None, props: dict[str, Any] | None = None) -> None:
            nonlocal at, step
            step += 1
            at += timedelta(seconds=self.rng.randint(20, 180))
            self.history.behaviour.append({
                "session_id": session_id, "event_id": f"{session_id}-{step:03d}",
                "user_id": user_id, "type": event_type.value, "name": None,
                "occurred_at": at, "received_at": self.now, "path": path,
                "product_id": product_id, "props": props})

        first = self.pick(favourites)
        if self.rng.random() < 0.5:
            query = (self.skus[first][0].name.split() or ["demo"])[0][:50]
            track(EventType.SEARCH, path="/search", props={"query": query})
        viewed = list(dict.fromkeys(
            [first, *(self.pick(favourites) for _ in range(self.rng.randint(1, 5)))]))
        if self.rng.random() < COMPANION_CHANCE:
            viewed.append(self.companion(first))  # a product page's "bought together"
        carted = []
        for product_id in dict.fromkeys(viewed):
            track(EventType.PAGE_VIEW, product_id, path=f"/products/{product_id}")
            if self.rng.random() < CART_CHANCE:
                carted.append(product_id)
                track(EventType.ADD_TO_CART, product_id, path=f"/products/{product_id}")
        if carted and buyer and self.rng.random() < ORDER_CHANCE:
            self.order(user_id, carted, at + timedelta(minutes=2))

    def order(self, user_id: str, products: list[int], placed_at: datetime) -> None:
        self.order_count += 1
        number = self.order_count
        order_id = f"{PREFIX}order-{number:05d}"
        skus = [self.rng.choice(self.skus[p]) for p in products]
        currency = skus[0].currency
        lines = [{"sku": s.sku, "product_id": s.product_id,
                  "quantity": 1 if self.rng.random() < 0.8 else 2,
                  "unit_price": _money(s.price, currency)} for s in skus]
        subtotals = [line["unit_price"]["amount"] * line["quantity"] for line in lines]
        percent = PROMOTION_PERCENT if self.rng.random() < PROMOTION_SHARE else 0
        for line, subtotal in zip(lines, subtotals, strict=True):
            line["payable"] = _money(subtotal - subtotal * percent // 100, currency)
        total = sum(line["payable"]["amount"] for line in lines)
        discount = sum(subtotals) - total
        placed: dict[str, Any] = {
            "order_id": order_id, "user_id": user_id, "lines": lines,
            "total": _money(total, currency),
            "delivery_method": self.rng.choice(list(DeliveryMethod)).value,
            "placed_at": _iso(placed_at),
            "payment_due_at": _iso(placed_at + timedelta(minutes=30)),
            "discount_total": _money(discount, currency), "shipping": _money(0, currency),
            "adjustments": [{"kind": AdjustmentKind.FULL_REDUCTION.value,
                             "source_id": f"{PREFIX}promotion-{percent}-off",
                             "label": f"Demo history: {percent}% off",
                             "amount": _money(discount, currency)}] if discount else []}
        self.history.events.append(("OrderPlaced", placed))
        if self.rng.random() >= PAID_SHARE:
            by = self.rng.choice((CancelledBy.BUYER, CancelledBy.PAYMENT_DEADLINE))
            self.history.events.append(("OrderCancelled", {
                "order_id": order_id, "user_id": user_id, "reason": f"demo history: {by.value}",
                "lines": [{"sku": line["sku"], "quantity": line["quantity"]} for line in lines],
                "cancelled_at": _iso(placed_at + timedelta(minutes=self.rng.randint(5, 30))),
                "cancelled_by": by.value}))
            return
        method = self.rng.choice((PaymentMethod.BALANCE, PaymentMethod.ALIPAY,
                                  PaymentMethod.WECHAT, PaymentMethod.CARD)).value
        self.history.events.append(("PaymentConfirmed", {
            "payment_id": f"{PREFIX}payment-{number:05d}", "order_id": order_id,
            "user_id": user_id, "amount": _money(total, currency), "method": method,
            "confirmed_at": _iso(placed_at + timedelta(minutes=self.rng.randint(1, 10)))}))
        refunded_at = placed_at + timedelta(days=self.rng.uniform(2, 7))
        if self.rng.random() < REFUND_SHARE and refunded_at < self.now:
            self.history.events.append(("RefundIssued", {
                "refund_id": f"{PREFIX}refund-{number:05d}", "order_id": order_id,
                "user_id": user_id, "amount": _money(total, currency), "method": method,
                "destination": RefundDestination.ORIGINAL.value,
                "reason": "demo history: returned", "refunded_total": _money(total, currency),
                "fully_refunded": True, "issued_at": _iso(refunded_at)}))


def generate(catalog: list[Sku], days: int, now: datetime, shoppers: int = SHOPPERS,
             seed: int = SEED) -> History:
    """The history of ``shoppers`` synthetic shoppers over the ``days`` before ``now``,
    buying from ``catalog`` (one currency: the first SKU's; an empty catalog, no history)."""
    if not catalog or days <= 0:
        return History()
    currency = min(catalog, key=lambda s: (s.product_id, s.sku)).currency
    skus: dict[int, list[Sku]] = {}
    for sku in sorted(catalog, key=lambda s: (s.product_id, s.sku)):
        if sku.currency == currency:
            skus.setdefault(sku.product_id, []).append(sku)
    categories: dict[int, list[int]] = {}
    for product_id, product_skus in skus.items():
        categories.setdefault(product_skus[0].category_id, []).append(product_id)
    maker = _Maker(random.Random(seed), now, skus, categories)
    for number in range(1, shoppers + 1):
        maker.shopper(number, days)
    return maker.history
