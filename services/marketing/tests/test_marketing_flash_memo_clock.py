"""The gate's sold-out memo as the route asks it, on a clock of the test's own."""

from __future__ import annotations

import pytest

from marketing import flash_gate
from marketing.flash_gate import SqlGate


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(flash_gate, "time", type("Clock", (), {
        "monotonic": staticmethod(lambda: now[0])}))
    return now


def test_a_lapsed_memo_lets_one_attempt_ask_while_the_others_are_still_answered(clock):
    gate = SqlGate(memo_s=0.5)
    assert not gate.known_sold_out("fs_1", "SKU")
    gate._found_sold_out("fs_1", "SKU")
    assert gate.known_sold_out("fs_1", "SKU") and not gate.known_sold_out("fs_2", "SKU")
    clock[0] += 1
    assert not gate.known_sold_out("fs_1", "SKU")  # this one asks the database
    assert gate.known_sold_out("fs_1", "SKU")  # the others wait for no transaction
    clock[0] += 0.6  # the one asking never told: another one asks
    assert not gate.known_sold_out("fs_1", "SKU")
    gate._found_sold_out("fs_1", "SKU")
    assert gate.known_sold_out("fs_1", "SKU")


def test_a_unit_sold_ends_the_memo_and_a_memo_of_zero_keeps_nothing(clock):
    gate = SqlGate(memo_s=0.5)
    gate._found_sold_out("fs_1", "SKU")
    gate._found_units("fs_1", "SKU")
    assert not gate.known_sold_out("fs_1", "SKU") and not gate.known_sold_out("fs_1", "SKU")
    off = SqlGate(memo_s=0)
    off._found_sold_out("fs_1", "SKU")
    assert not off.known_sold_out("fs_1", "SKU")
