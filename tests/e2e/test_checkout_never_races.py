"""Whatever a client sees as payable can be paid: many buyers at once pay each order the
instant it reads ``awaiting_payment``, and not one is told "not payable yet" (issue 8).

The order service shows ``awaiting_payment`` only on the payment service's ``PaymentDue``,
emitted in the transaction that makes the payable due; before, it moved on the catalog's
``StockReserved``, which the payment service consumes independently and sometimes later.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from e2e_steps import (
    pay_at_provider,
    place_order,
    sign_up,
    wait_for_sku,
    wait_for_status,
)

SKU = "PHONE-CASE-CLEAR"  # no other e2e test buys it: its stock is this test's
BUYERS = 8
ORDERS_EACH = 5
# Half the buyers pay from the wallet, the others through a provider's cashier.
METHODS = ["balance", "alipay", "balance", "wechat", "balance", "card", "balance", "alipay"]


def test_an_order_that_reads_awaiting_payment_is_always_payable_at_once(stack, http, admin):
    wait_for_sku(stack, http, SKU)
    stocked = http.put(stack.url(f"/api/v1/admin/skus/{SKU}/stock"), headers=admin,
                       json={"quantity": BUYERS * ORDERS_EACH + 10})
    assert stocked.status_code == 200, stocked.text
    buyers = [sign_up(stack, f"racer{i}") for i in range(BUYERS)]

    def buy_and_pay_at_once(headers: dict, method: str) -> list[tuple[str, int, str]]:
        """(order id, status of the payment request, its body) for each order."""
        answers = []
        with requests.Session() as session:
            for _ in range(ORDERS_EACH):
                order = place_order(stack, session, headers, [{"sku": SKU, "quantity": 1}])
                # Look as often as a client app possibly could, and pay the same instant.
                seen = wait_for_status(stack, session, order["id"], headers,
                                       "awaiting_payment", "cancelled", interval=0.005)
                assert seen["status"] == "awaiting_payment", seen
                paying = session.post(stack.url("/api/v1/payments"), headers=headers,
                                      json={"order_id": order["id"], "method": method})
                answers.append((order["id"], paying.status_code, paying.text))
                if paying.status_code == 201 and method != "balance":
                    pay_at_provider(stack, session, paying.json())
        return answers

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        results = list(pool.map(buy_and_pay_at_once, buyers, METHODS))

    answers = [answer for per_buyer in results for answer in per_buyer]
    assert len(answers) == BUYERS * ORDERS_EACH
    refused = [(order_id, body) for order_id, status, body in answers if status != 201]
    assert refused == [], f"{len(refused)} of {len(answers)} payable orders refused payment"
    for headers, method, per_buyer in zip(buyers, METHODS, results, strict=True):
        for order_id, _, _ in per_buyer:
            paid = wait_for_status(stack, http, order_id, headers, "paid")
            assert paid["payment"]["method"] == method
