"""The metric rules in plain Python (no database): averages, conversions, what a line
cost, the bounds of an event's properties and time, and the content id of a retry."""

from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.domain import (
    average,
    check_occurred_at,
    check_props,
    content_event_id,
    conversion,
    day_window,
)
from analytics.facts import line_amount
from service_runtime.errors import InvalidInput


def test_the_average_is_rounded_half_up_to_whole_minor_units():
    assert average(19001, 3) == 6334  # 6333.67
    assert average(14000, 3) == 4667  # 4666.67
    assert average(10, 4) == 3  # 2.5 rounds up
    assert average(9, 4) == 2  # 2.25
    assert average(13000, 2) == 6500
    assert average(0, 0) == 0  # no orders: no average to speak of


def test_conversion_is_a_share_of_the_previous_step():
    assert conversion(2, 4) == 0.5
    assert conversion(1, 3) == 0.3333
    assert conversion(2, 3) == 0.6667
    assert conversion(4, None) is None  # the first step
    assert conversion(0, 0) is None  # nobody to convert


def test_a_line_costs_its_payable_else_its_unit_price_times_its_quantity():
    money = lambda amount: {"amount": amount, "currency": "CNY"}  # noqa: E731
    assert line_amount({"unit_price": money(2500), "quantity": 2, "payable": money(4800)}) \
        == 4800
    assert line_amount({"unit_price": money(2500), "quantity": 2}) == 5000
    assert line_amount({"unit_price": money(2500), "quantity": 2, "payable": None}) == 5000


def test_properties_are_bounded():
    check_props({"query": "kettle", "page": 2, "ratio": 0.5, "fast": True, "none": None})
    for bad in ({f"k{n}": 1 for n in range(21)}, {"": 1}, {"k" * 41: 1}, {"k": "x" * 201},
                {"k": [1]}, {"k": {"a": 1}}, {f"k{n}": "x" * 200 for n in range(12)}):
        with pytest.raises(ValueError):
            check_props(bad)


def test_an_event_may_be_a_week_old_and_ten_minutes_ahead():
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    check_occurred_at(now - timedelta(days=7), now)
    check_occurred_at(now + timedelta(minutes=10), now)
    with pytest.raises(ValueError, match="older than 7 days"):
        check_occurred_at(now - timedelta(days=7, seconds=1), now)
    with pytest.raises(ValueError, match="future"):
        check_occurred_at(now + timedelta(minutes=10, seconds=1), now)


def test_the_content_id_names_what_an_event_says():
    at = datetime(2026, 12, 3, 12, tzinfo=UTC)
    event = {"type": "click", "name": "pay", "occurred_at": at, "path": "/pay",
             "product_id": None, "props": {"b": 1, "a": 2}, "session_id": "s", "event_id": None}
    same = {**event, "props": {"a": 2, "b": 1}, "session_id": "other"}
    assert content_event_id(event) == content_event_id(same)  # key order, session: no matter
    assert len(content_event_id(event)) <= 64
    assert content_event_id(event) != content_event_id({**event, "name": "add_to_cart"})
    assert content_event_id(event) != content_event_id(
        {**event, "occurred_at": at + timedelta(milliseconds=1)})


def test_a_report_window_is_whole_utc_days_both_included():
    assert day_window(date(2026, 11, 20), date(2026, 11, 22)) == (
        datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
    assert day_window(date(2025, 1, 1), date(2025, 12, 31))[1] == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        day_window(date(2026, 11, 22), date(2026, 11, 21))
    day_window(date(2024, 1, 1), date(2024, 12, 31))  # 366 days: a leap year is allowed
    with pytest.raises(InvalidInput):
        day_window(date(2024, 1, 1), date(2025, 1, 1))  # 367 days
