"""A small sales history whose every figure is worked out by hand in the tests.

Products 1 and 2 are in category 10, product 3 in category 20; product 4's category is
never heard of. Orders (CNY unless said):

- A: alice, 2026-11-20 10:00Z. Product 1 pays 6000, product 3 4000: total 10000. Paid
  10000; 2500 refunded (a return).
- B: bob, 2026-11-20 23:30Z. Product 2, 3000. Never paid; cancelled.
- C: carol, 2026-11-22 07:00+08:00 (2026-11-21 23:00Z: the 21st in UTC). Product 1, two
  at 2500 without a ``payable`` (5000), product 4 1001: total 6001. Paid 6001; a second
  charge of 6001 refunded as a duplicate payment (not a refund of the order).
- D: dave, 2026-11-23 (after the window). 999, paid.
- E: erin, 2026-11-21, in USD: 5000, paid.
"""

from __future__ import annotations

from typing import Any


def money(amount: int, currency: str = "CNY") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def line(sku: str, product_id: int, payable: int | None, quantity: int = 1,
         unit: int | None = None, currency: str = "CNY") -> dict[str, Any]:
    data = {"sku": sku, "product_id": product_id, "quantity": quantity,
            "unit_price": money(unit if unit is not None else payable or 0, currency)}
    if payable is not None:
        data["payable"] = money(payable, currency)
    else:
        data.pop("payable", None)
    return data


def placed(order_id: str, user: str, at: str, lines: list[dict], total: int,
           currency: str = "CNY") -> tuple[str, dict[str, Any]]:
    return "OrderPlaced", {"order_id": order_id, "user_id": user, "lines": lines,
                           "total": money(total, currency), "placed_at": at,
                           "discount_total": money(0, currency), "shipping": money(0, currency),
                           "adjustments": [], "user_coupon_id": None, "points_used": 0,
                           "coupon_code": None}


def paid(order_id: str, user: str, amount: int, at: str,
         currency: str = "CNY") -> tuple[str, dict[str, Any]]:
    return "PaymentConfirmed", {"payment_id": f"pay-{order_id}", "order_id": order_id,
                                "user_id": user, "amount": money(amount, currency),
                                "confirmed_at": at}


def refunded(refund_id: str, order_id: str, user: str, amount: int, at: str,
             duplicate: bool = False) -> tuple[str, dict[str, Any]]:
    return "RefundIssued", {"refund_id": refund_id, "order_id": order_id, "user_id": user,
                            "amount": money(amount), "refunded_total": money(amount),
                            "fully_refunded": False, "duplicate_payment": duplicate,
                            "issued_at": at, "return_id": None}


def product(product_id: int, category_id: int, at: str) -> tuple[str, dict[str, Any]]:
    return "ProductUpdated", {"product_id": product_id, "category_id": category_id,
                              "category_path": [category_id], "name": f"product {product_id}",
                              "brand": "brand", "skus": [], "updated_at": at}


HISTORY: list[tuple[str, dict[str, Any]]] = [
    product(1, 10, "2026-11-01T00:00:00+00:00"),
    product(2, 10, "2026-11-01T00:00:00+00:00"),
    product(3, 20, "2026-11-01T00:00:00+00:00"),
    placed("A", "alice", "2026-11-20T10:00:00+00:00",
           [line("P1", 1, 6000), line("P3", 3, 4000)], 10000),
    paid("A", "alice", 10000, "2026-11-20T10:05:00+00:00"),
    refunded("R-A", "A", "alice", 2500, "2026-11-25T00:00:00+00:00"),
    placed("B", "bob", "2026-11-20T23:30:00+00:00", [line("P2", 2, 3000)], 3000),
    ("OrderCancelled", {"order_id": "B", "user_id": "bob", "reason": "changed my mind",
                        "lines": [{"sku": "P2", "quantity": 1}],
                        "cancelled_at": "2026-11-21T00:00:00+00:00"}),
    placed("C", "carol", "2026-11-22T07:00:00+08:00",
           [line("P1", 1, None, quantity=2, unit=2500), line("P4", 4, 1001)], 6001),
    paid("C", "carol", 6001, "2026-11-21T23:10:00+00:00"),
    refunded("R-C", "C", "carol", 6001, "2026-11-21T23:20:00+00:00", duplicate=True),
    placed("D", "dave", "2026-11-23T08:00:00+00:00", [line("P1", 1, 999)], 999),
    paid("D", "dave", 999, "2026-11-23T08:01:00+00:00"),
    placed("E", "erin", "2026-11-21T08:00:00+00:00",
           [line("P1", 1, 5000, currency="USD")], 5000, currency="USD"),
    paid("E", "erin", 5000, "2026-11-21T08:01:00+00:00", currency="USD"),
]


def figures(orders: int, gmv: int, paid_orders: int, paid: int, refunded: int,
            average: int) -> dict[str, int]:
    return {"orders": orders, "gmv": gmv, "paid_orders": paid_orders, "paid": paid,
            "refunded": refunded, "average_order_value": average}
