"""Each risk rule over events fed to the worker's consumer: it fires at its threshold
within its window, not below, once per window, and a redelivered event counts once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from risk_events import T0, at, risk_consumer
from sqlalchemy import select

from analytics.risk_flags import observe
from analytics.risk_models import RiskFlag, RiskSignal
from analytics.risk_rules import RiskRules, Signal, window_reached
from analytics.settings import AnalyticsSettings
from event_contracts.vocabulary import RiskRule
from service_runtime.testing.plugin import outbox_events


def flags(db, rule: RiskRule | None = None) -> list[RiskFlag]:  # type: ignore[no-untyped-def]
    query = select(RiskFlag).order_by(RiskFlag.id)
    if rule is not None:
        query = query.where(RiskFlag.rule == rule.value)
    with db.read() as session:
        return list(session.scalars(query))


def feed(consumer, events) -> None:  # type: ignore[no-untyped-def]
    for event in events:
        assert consumer.apply(event) is True


@pytest.fixture
def consumer(db):  # type: ignore[no-untyped-def]
    return risk_consumer(db)  # the defaults: RISK_PAYMENT_FAILURES=3 in 600 s, ...


def failure(example_event, minutes: float, user: str = "usr_1"):  # type: ignore[no-untyped-def]
    return example_event("PaymentFailed", user_id=user, failed_at=at(minutes))


def test_three_payment_failures_in_ten_minutes_raise_one_flag_with_its_evidence(
        db, consumer, example_event):
    first = [failure(example_event, m) for m in (0, 4)]
    feed(consumer, first)
    feed(consumer, [failure(example_event, 4, user="usr_2")])  # another user's
    assert flags(db) == []  # two are below the threshold
    for event in first:  # redelivered: the inbox has them, nothing is counted again
        assert consumer.apply(event) is False
    assert flags(db) == []
    third = failure(example_event, 9)
    feed(consumer, [third])
    (flag,) = flags(db)
    assert (flag.rule, flag.subject, flag.user_id, flag.count, flag.threshold) == (
        "payment_failures", "usr_1", "usr_1", 3, 3)
    assert flag.evidence["event_ids"] == [e.id for e in first] + [third.id]
    assert flag.evidence["window_seconds"] == 600
    assert flag.window_start.isoformat() == at(0) and flag.window_end.isoformat() == at(9)
    (raised,) = outbox_events(db, "RiskFlagRaised")
    assert raised["key"] == "usr_1"
    assert raised["data"]["flag_id"] == flag.id
    assert raised["data"]["event_ids"] == flag.evidence["event_ids"]
    # Further failures in the same burst add to nothing: the flag is raised once.
    feed(consumer, [failure(example_event, m) for m in (10, 11)])
    assert len(flags(db)) == 1
    # Three more after the flag make a window of their own: a second flag.
    feed(consumer, [failure(example_event, 12)])
    (_, second) = flags(db)
    assert second.count == 3 and second.window_start.isoformat() == at(10)
    assert len(outbox_events(db, "RiskFlagRaised")) == 2


def test_payment_failures_spread_wider_than_the_window_raise_nothing(
        db, consumer, example_event):
    feed(consumer, [failure(example_event, m) for m in (0, 6, 12, 18, 24)])
    assert flags(db) == []


def test_an_event_is_counted_once_by_a_rule_even_without_the_inbox(db):
    """The signal's own key stops a second count (a handler run twice, a replay)."""
    rules = RiskRules.of(AnalyticsSettings(risk_payment_failures=2))
    with db.transaction() as session:
        for _ in range(3):
            assert observe(session, rules, RiskRule.PAYMENT_FAILURES, "usr_1", "evt-a", T0,
                           user_id="usr_1") is None
    with db.read() as session:
        assert session.scalars(select(RiskSignal.event_id)).all() == ["evt-a"]
    assert flags(db) == []


def sign_in(example_event, minutes: float, account: str, user: str | None,  # type: ignore[no-untyped-def]
            address: str = "203.0.113.7"):
    return example_event("SignInFailed", account=account * 64, user_id=user,
                         client_address=address, failed_at=at(minutes))


def test_failed_sign_ins_on_one_account_raise_a_flag_at_the_threshold(db, example_event):
    consumer = risk_consumer(db, risk_account_sign_in_failures=4,
                             risk_address_sign_in_accounts=99)
    # From different addresses: the account is what is counted.
    feed(consumer, [sign_in(example_event, m, "a", "usr_7", f"198.51.100.{m}")
                    for m in range(3)])
    assert flags(db) == []
    feed(consumer, [sign_in(example_event, 3, "a", "usr_7", "198.51.100.3")])
    (flag,) = flags(db)
    assert (flag.rule, flag.subject, flag.user_id, flag.count) == (
        "account_sign_in_failures", "usr_7", "usr_7", 4)
    feed(consumer, [sign_in(example_event, 4, "a", "usr_7")])
    assert len(flags(db)) == 1
    # No account of that login: its digest is the subject, nobody's user id.
    feed(consumer, [sign_in(example_event, m, "b", None) for m in range(4)])
    (_, unknown) = flags(db)
    assert (unknown.subject, unknown.user_id) == ("b" * 64, None)


def test_many_accounts_tried_from_one_address_raise_a_flag(db, example_event):
    consumer = risk_consumer(db, risk_address_sign_in_accounts=3,
                             risk_account_sign_in_failures=99)
    # One account tried again and again is not many accounts.
    feed(consumer, [sign_in(example_event, m, "a", None) for m in range(5)])
    feed(consumer, [sign_in(example_event, 5, "b", None)])
    feed(consumer, [sign_in(example_event, 5, "c", None, address="192.0.2.1")])  # elsewhere
    assert flags(db) == []
    feed(consumer, [sign_in(example_event, 6, "c", None)])
    (flag,) = flags(db)
    assert (flag.rule, flag.subject, flag.user_id, flag.count) == (
        "address_sign_in_accounts", "203.0.113.7", None, 3)
    assert flag.evidence["signals"] == 7 and len(flag.evidence["event_ids"]) == 7
    feed(consumer, [sign_in(example_event, 7, "d", None)])
    assert len(flags(db)) == 1


def placed(example_event, order: str, user: str, minutes: float):  # type: ignore[no-untyped-def]
    return example_event("OrderPlaced", order_id=order, user_id=user, placed_at=at(minutes))


def test_five_orders_of_one_user_in_ten_minutes_are_a_burst(db, consumer, example_event):
    orders = [placed(example_event, f"ord_{n}", "usr_1", n * 2) for n in range(4)]
    feed(consumer, orders)
    assert flags(db) == []
    feed(consumer, [placed(example_event, "ord_4", "usr_1", 8)])
    (flag,) = flags(db, RiskRule.ORDER_BURST)
    assert (flag.subject, flag.count, flag.threshold) == ("usr_1", 5, 5)
    feed(consumer, [placed(example_event, "ord_5", "usr_1", 9)])
    assert len(flags(db)) == 1
    # Spread out, as many orders are no burst.
    feed(consumer, [placed(example_event, f"ord_slow_{n}", "usr_2", n * 4) for n in range(8)])
    assert len(flags(db)) == 1


def refund(example_event, order: str, user: str, minutes: float,  # type: ignore[no-untyped-def]
           duplicate: bool = False):
    return example_event("RefundIssued", refund_id=f"rfd_{order}_{minutes}", order_id=order,
                         user_id=user, issued_at=at(minutes), duplicate_payment=duplicate)


def history(example_event, user: str, orders: int, day: int):  # type: ignore[no-untyped-def]
    """``orders`` orders of ``user`` an hour apart on the ``day``-th day (no bursts)."""
    return [placed(example_event, f"ord_{user}_{n}", user, day * 1440 + n * 60)
            for n in range(orders)]


def test_a_refund_rate_far_above_the_norm_with_enough_refunds_is_flagged(
        db, consumer, example_event):
    # The platform: 20 orders of others, none refunded; the user: 4 orders.
    feed(consumer, history(example_event, "usr_others", 20, 0))
    feed(consumer, history(example_event, "usr_1", 4, 1))
    # Two refunds: 50 % of the user's orders, but fewer than the minimum of three.
    feed(consumer, [refund(example_event, f"ord_usr_1_{n}", "usr_1", 3000 + n) for n in (0, 1)])
    # A second charge given back is nobody's refund abuse, nor a refund twice of one order.
    feed(consumer, [refund(example_event, "ord_usr_1_2", "usr_1", 3002, duplicate=True),
                    refund(example_event, "ord_usr_1_1", "usr_1", 3003)])
    assert flags(db, RiskRule.REFUND_ABUSE) == []
    last = refund(example_event, "ord_usr_1_2", "usr_1", 3004)
    feed(consumer, [last])
    (flag,) = flags(db, RiskRule.REFUND_ABUSE)
    assert (flag.subject, flag.user_id, flag.count, flag.threshold) == ("usr_1", "usr_1", 3, 3)
    # 3 of 4 orders refunded; the platform's 3 of 24 (x3 = 0.375) is below the 0.5 floor.
    assert flag.evidence["orders"] == 4 and flag.evidence["refund_rate"] == 0.75
    assert flag.evidence["platform_refund_rate"] == 0.125
    assert flag.evidence["rate_limit"] == 0.5
    assert flag.evidence["event_ids"][-1] == last.id
    feed(consumer, [refund(example_event, "ord_usr_1_3", "usr_1", 3005)])
    assert len(flags(db, RiskRule.REFUND_ABUSE)) == 1


def test_refunds_at_the_platform_norm_are_not_flagged(db, consumer, example_event):
    # Everyone refunds 40 % of orders: a user's 60 % is not "far above" (x3 = 1.2, capped
    # at 1: only a user refunding everything would be).
    feed(consumer, history(example_event, "usr_others", 10, 0))
    feed(consumer, [refund(example_event, f"ord_usr_others_{n}", "usr_others", 1000 + n)
                    for n in range(4)])
    feed(consumer, history(example_event, "usr_1", 5, 1))
    feed(consumer, [refund(example_event, f"ord_usr_1_{n}", "usr_1", 3000 + n)
                    for n in range(3)])
    assert flags(db, RiskRule.REFUND_ABUSE) == []
    feed(consumer, [refund(example_event, f"ord_usr_1_{n}", "usr_1", 3000 + n)
                    for n in (3, 4)])
    (flag,) = flags(db, RiskRule.REFUND_ABUSE)
    assert flag.evidence["refund_rate"] == 1.0


def test_two_consumers_counting_one_subject_at_once_raise_exactly_one_flag(
        db, example_event):
    """The subject's row lock: neither misses the other's signal, only one raises."""
    consumers = [risk_consumer(db, risk_payment_failures=2) for _ in range(2)]
    events = [failure(example_event, minute) for minute in (0, 1)]
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def apply(consumer, event) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        results.append(consumer.apply(event))

    threads = [threading.Thread(target=apply, args=pair)
               for pair in zip(consumers, events, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True, True]
    (flag,) = flags(db)
    assert sorted(flag.evidence["event_ids"]) == sorted(e.id for e in events)


def test_an_older_event_arriving_last_completes_the_window(db, consumer, example_event):
    """Topics and partitions deliver out of order: the run may end after the new event."""
    later = [failure(example_event, m) for m in (5, 9)]
    feed(consumer, later)
    earliest = failure(example_event, 1)
    feed(consumer, [earliest])
    (flag,) = flags(db)
    assert flag.evidence["event_ids"] == [earliest.id] + [e.id for e in later]
    assert flag.window_start.isoformat() == at(1) and flag.window_end.isoformat() == at(9)
    # Later still, an event from inside the flagged window: counted by that flag already.
    feed(consumer, [failure(example_event, m) for m in (3, 10, 11)])
    assert len(flags(db)) == 1


@pytest.mark.parametrize(("minutes", "new", "expected"), [
    ((0, 4, 9), 9, (0, 4, 9)),
    ((0, 4, 10), 10, None),  # 10 minutes apart: not within a 10-minute window
    ((0, 4, 9, 12), 0, (0, 4, 9)),  # the earliest-ending run
    ((0, 4, 9, 12), 12, (4, 9, 12)),
    ((0, 12, 15, 18), 0, None),  # the run reaching three leaves the new signal out
])
def test_the_run_reaching_a_threshold(minutes, new, expected):
    signals = [Signal(T0 + timedelta(minutes=m), f"evt-{m}", None) for m in minutes]
    run = window_reached(signals, f"evt-{new}", timedelta(minutes=10), 3, distinct=False)
    assert (None if run is None else tuple(int((s.at - T0).total_seconds() // 60)
                                           for s in run)) == expected
