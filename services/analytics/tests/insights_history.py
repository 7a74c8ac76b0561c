"""A small history for the insights reports, every figure worked out by hand in the
tests. Weeks start on Mondays: W0 2026-11-02, W1 11-09, W2 11-16, W3 11-23.

Products 1 and 2 are in category 10, product 3 in category 20. Orders (CNY unless said):

- O1 alice, W0 (11-03): product 1 x2 (6000) and product 3 (4000), total 10000; the
  full reduction ``promo-300`` took 1000, the coupon ``cpt-A`` 500, points 200 (no
  promotion), shipping 0. Paid.
- O2 alice, W2 (11-17): product 2, 3000; ``cpt-A`` took 300. Not paid.
- O3 bob, W0 (11-05): product 3, 25000; ``promo-300`` took 2000 and 500 (two lines of
  one source on one order). Paid.
- O4 carol, W1 (11-10): product 1, 2000. Cancelled.
- O5 dave, 2026-05-01: product 2, 60000. Paid.
- O6 erin, W1 (11-11), USD: 5000; ``cpt-A`` took 100 USD.

Signed-in tracked events: alice and bob in W1, carol in W2, bob in W0, frank (never
ordered) in W1; an anonymous one in W2.
"""

from __future__ import annotations

from typing import Any

from analytics_history import line, money, paid, placed, product


def adjustment(kind: str, source_id: str | None, amount: int,
               currency: str = "CNY") -> dict[str, Any]:
    return {"kind": kind, "source_id": source_id, "label": f"{kind} {source_id}",
            "amount": money(amount, currency)}


def with_adjustments(event: tuple[str, dict[str, Any]],
                     *adjustments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind, data = event
    return kind, {**data, "adjustments": list(adjustments)}


def cancelled(order_id: str, user: str, at: str) -> tuple[str, dict[str, Any]]:
    return "OrderCancelled", {"order_id": order_id, "user_id": user, "reason": "changed mind",
                              "lines": [], "cancelled_at": at}


HISTORY: list[tuple[str, dict[str, Any]]] = [
    product(1, 10, "2026-01-01T00:00:00+00:00"),
    product(2, 10, "2026-01-01T00:00:00+00:00"),
    product(3, 20, "2026-01-01T00:00:00+00:00"),
    with_adjustments(
        placed("O1", "alice", "2026-11-03T00:00:00+00:00",
               [line("P1", 1, 6000, quantity=2, unit=3000), line("P3", 3, 4000)], 10000),
        adjustment("full_reduction", "promo-300", 1000), adjustment("coupon", "cpt-A", 500),
        adjustment("points", None, 200), adjustment("shipping", None, 0)),
    paid("O1", "alice", 10000, "2026-11-03T00:05:00+00:00"),
    with_adjustments(placed("O2", "alice", "2026-11-17T00:00:00+00:00",
                            [line("P2", 2, 3000)], 3000),
                     adjustment("coupon", "cpt-A", 300)),
    with_adjustments(placed("O3", "bob", "2026-11-05T00:00:00+00:00",
                            [line("P3", 3, 25000)], 25000),
                     adjustment("full_reduction", "promo-300", 2000),
                     adjustment("full_reduction", "promo-300", 500)),
    paid("O3", "bob", 25000, "2026-11-05T00:01:00+00:00"),
    placed("O4", "carol", "2026-11-10T00:00:00+00:00", [line("P1", 1, 2000)], 2000),
    cancelled("O4", "carol", "2026-11-10T01:00:00+00:00"),
    placed("O5", "dave", "2026-05-01T00:00:00+00:00", [line("P2", 2, 60000)], 60000),
    paid("O5", "dave", 60000, "2026-05-01T00:01:00+00:00"),
    with_adjustments(placed("O6", "erin", "2026-11-11T00:00:00+00:00",
                            [line("P1", 1, 5000, currency="USD")], 5000, currency="USD"),
                     adjustment("coupon", "cpt-A", 100, "USD")),
]

# (user or None, type, occurred_at)
TRACKED: list[tuple[str | None, str, str]] = [
    ("alice", "page_view", "2026-11-12T09:00:00+00:00"),
    ("bob", "page_view", "2026-11-09T00:00:00+00:00"),  # W1's first instant
    ("bob", "search", "2026-11-15T23:59:59+00:00"),  # W1's last second: once in W1
    ("bob", "click", "2026-11-04T00:00:00+00:00"),
    ("carol", "add_to_cart", "2026-11-20T12:00:00+00:00"),
    ("frank", "page_view", "2026-11-10T12:00:00+00:00"),
    (None, "page_view", "2026-11-18T12:00:00+00:00"),
]
