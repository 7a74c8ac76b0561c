"""Refunds of an order priced with promotions give back each line's ``payable`` share
(OrderPlaced's ``lines[].payable``), cumulatively and exactly: refunding every piece of
every line gives back exactly what the buyer paid."""

from datetime import UTC, datetime

import pytest

from aftersales.domain import BoughtLine, OrderFacts, refund_amount
from aftersales.models import OrderLine

RETURNS = "/api/v1/returns"
KETTLE, MUG = "KETTLE-MI-1.7L-WHITE", "MUG-CERAMIC-350ML"


def money(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


# As OrderPlaced's contract example: 149.00 of goods, 10.00 coupon and 5.00 of points off,
# 20.00 express shipping: 154.00 paid, split 102.33 + 51.67 over the lines.
PRICED_LINES = [
    {"sku": KETTLE, "quantity": 1, "unit_price": money(9900), "payable": money(10233),
     "points": 332, "product_id": 1},
    {"sku": MUG, "quantity": 2, "unit_price": money(2500), "payable": money(5167),
     "points": 168, "product_id": 7},
]


def facts(*lines: BoughtLine) -> OrderFacts:
    return OrderFacts("ord_1", "alice", "delivered", "CNY", tuple(lines),
                      delivered_at=datetime.now(UTC))


def test_a_line_is_worth_its_payable_split_exactly_by_pieces():
    line = BoughtLine("MUG", 3, 2500, payable=7001)
    assert [line.worth(k) for k in range(4)] == [0, 2333, 4667, 7001]
    assert BoughtLine("MUG", 3, 2500).worth(2) == 5000, "no payable: unit prices"


def test_pieces_refunded_one_by_one_add_up_to_the_line_payable():
    order = facts(BoughtLine("MUG", 3, 2500, payable=7001))
    refunds = [refund_amount(order, "return_refund", {"MUG": 1}, {"MUG": before})
               for before in range(3)]
    assert refunds == [2333, 2334, 2334]
    assert sum(refunds) == 7001
    assert refund_amount(order, "refund_only", {"MUG": 3}) == 7001, "all pieces: all of it"
    assert refund_amount(order, "exchange", {"MUG": 1}) == 0


def test_a_sku_on_several_lines_is_taken_line_by_line_after_what_was_asked_before():
    order = facts(BoughtLine("MUG", 2, 2500, payable=4001), BoughtLine("MUG", 1, 2000,
                                                                        payable=1999))
    assert refund_amount(order, "return_refund", {"MUG": 1}) == 2000
    assert refund_amount(order, "return_refund", {"MUG": 2}, {"MUG": 1}) == 2001 + 1999
    assert refund_amount(order, "return_refund", {"MUG": 3}) == 6000


@pytest.mark.parametrize("quantities", [[1, 1, 1], [2, 1], [1, 2], [3]], ids=str)
def test_refunding_every_piece_in_any_steps_gives_back_exactly_the_total(quantities):
    order = facts(BoughtLine("KETTLE", 1, 9900, payable=10233),
                  BoughtLine("MUG", 3, 2500, payable=5167))
    refunded, already = refund_amount(order, "return_refund", {"KETTLE": 1}), 0
    for quantity in quantities:
        refunded += refund_amount(order, "return_refund", {"MUG": quantity}, {"MUG": already})
        already += quantity
    assert refunded == 10233 + 5167


def test_an_order_placed_with_payables_is_refunded_from_them_through_the_api(
        client, orders, alice, db):
    orders.delivered(lines=PRICED_LINES)
    with db.read() as session:
        assert {line.sku: line.payable_amount for line in session.query(OrderLine)} == {
            KETTLE: 10233, MUG: 5167}

    def ask(sku: str, quantity: int) -> int:
        response = client.post(RETURNS, headers=alice, json={
            "order_id": "ord_1", "type": "return_refund", "reason": "不想要了",
            "lines": [{"sku": sku, "quantity": quantity}]})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["refund"]["amount"]

    first, second, kettle = ask(MUG, 1), ask(MUG, 1), ask(KETTLE, 1)
    assert (first, second, kettle) == (2583, 2584, 10233)
    assert first + second + kettle == 15400, "everything back: exactly what was paid"


def test_an_order_without_payables_is_refunded_at_unit_prices(client, orders, alice):
    orders.delivered(lines=[{key: value for key, value in line.items()
                             if key not in ("payable", "points")} for line in PRICED_LINES])
    response = client.post(RETURNS, headers=alice, json={
        "order_id": "ord_1", "type": "return_refund", "reason": "不想要了",
        "lines": [{"sku": MUG, "quantity": 1}]})
    assert response.get_json()["refund"] == money(2500)
