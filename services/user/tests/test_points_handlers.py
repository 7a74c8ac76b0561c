"""Membership's event handlers: an order's points locked or refused, released, spent,
earned, given back and clawed back on refunds; exact sums, redeliveries, any order."""

from __future__ import annotations

from datetime import UTC, datetime

from event_contracts import REGISTRY
from user.handlers import handlers
from user.membership import grant

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_the_worker_consumes_the_order_and_payment_events():
    assert handlers.event_types == sorted([
        "OrderPlaced", "OrderCancelled", "PaymentConfirmed", "CashOnDeliveryChosen",
        "OrderCompleted", "RefundIssued"])


def test_points_used_are_locked_once(consumer, db, ev, look):
    grant(db, "alice", 1000, 0, AT)
    event = ev.placed("ord_1", 15400, points=500)
    assert consumer.apply(event)
    assert not consumer.apply(event)  # the same event id: the inbox
    consumer.apply(ev.placed("ord_1", 15400, points=500))  # a new id: still once
    assert look.standing() == (500, 500, 0, 0, "regular")
    [locked] = look.emitted("PointsLocked")
    assert locked == {**locked, "order_id": "ord_1", "user_id": "alice", "points": 500}
    REGISTRY.validate_outgoing("PointsLocked", 1, locked)
    assert look.ledger() == [("grant", 1000), ("lock", -500)]
    changed = look.emitted("MembershipChanged")
    assert [c["points_balance"] for c in changed] == [1000, 500]
    for data in changed:
        REGISTRY.validate_outgoing("MembershipChanged", 1, data)


def test_more_points_than_the_balance_are_refused(consumer, db, ev, look):
    grant(db, "alice", 100, 0, AT)
    consumer.apply(ev.placed("ord_1", 15400, points=500))
    consumer.apply(ev.placed("ord_1", 15400, points=500))
    [rejected] = look.emitted("PointsRejected")
    assert rejected == {**rejected, "order_id": "ord_1", "points": 500,
                        "reason": "not_enough_points"}
    REGISTRY.validate_outgoing("PointsRejected", 1, rejected)
    consumer.apply(ev.cancelled("ord_1"))  # the order is cancelled for it: nothing to release
    assert look.standing() == (100, 0, 0, 0, "regular")
    assert look.emitted("PointsLocked") == [] and look.ledger() == [("grant", 100)]


def test_an_order_without_points_locks_nothing(consumer, db, ev, look):
    consumer.apply(ev.placed("ord_1", 15400))
    assert look.emitted("PointsLocked") == look.emitted("PointsRejected") == []
    assert look.emitted("MembershipChanged") == []


def test_cancelling_gives_the_locked_points_back_once(consumer, db, ev, look):
    grant(db, "alice", 1000, 0, AT)
    consumer.apply(ev.placed("ord_1", 15400, points=700))
    consumer.apply(ev.cancelled("ord_1"))
    consumer.apply(ev.cancelled("ord_1"))
    consumer.apply(ev.paid("ord_1"))  # too late: nothing is locked any more
    assert look.standing() == (1000, 0, 0, 0, "regular")
    assert look.ledger() == [("grant", 1000), ("lock", -700), ("release", 700)]


def test_payment_spends_the_locked_points_once(consumer, db, ev, look):
    grant(db, "alice", 1000, 0, AT)
    consumer.apply(ev.placed("ord_1", 15400, points=700))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.cancelled("ord_1"))  # cancelled after payment: a refund gives them back
    assert look.standing() == (300, 0, 0, 0, "regular")
    assert look.ledger() == [("grant", 1000), ("lock", -700), ("spend", 0)]


def test_cash_on_delivery_spends_them_too(consumer, db, ev, look):
    grant(db, "alice", 1000, 0, AT)
    consumer.apply(ev.placed("ord_1", 15400, points=700))
    consumer.apply(ev.cash_on_delivery("ord_1"))
    consumer.apply(ev.paid("ord_1"))  # the cash arrives after delivery: nothing more
    assert look.standing() == (300, 0, 0, 0, "regular")


def test_completion_earns_a_point_and_growth_per_whole_yuan_and_a_level_once(
        consumer, db, ev, look):
    consumer.apply(ev.placed("ord_1", 100_099))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.completed("ord_1"))
    consumer.apply(ev.completed("ord_1"))
    assert look.standing() == (1000, 0, 0, 1000, "silver")
    [reached] = look.emitted("MemberLevelReached")
    assert reached == {**reached, "user_id": "alice", "level": "silver",
                       "previous_level": "regular"}
    REGISTRY.validate_outgoing("MemberLevelReached", 1, reached)
    assert look.emitted("MembershipChanged")[-1] == {
        **look.emitted("MembershipChanged")[-1], "level": "silver", "growth": 1000,
        "points_balance": 1000}


def test_a_jump_over_levels_announces_each_level_reached(consumer, db, ev, look):
    consumer.apply(ev.placed("ord_1", 600_000))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.completed("ord_1"))
    assert [r["level"] for r in look.emitted("MemberLevelReached")] == ["silver", "gold"]
    assert look.standing()[4] == "gold"


def test_refunds_give_back_and_claw_back_exactly_partial_then_full(consumer, db, ev, look):
    grant(db, "alice", 1000, 0, AT)
    consumer.apply(ev.placed("ord_1", 15400, points=500))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.completed("ord_1"))  # 154 earned
    assert look.standing() == (654, 0, 0, 154, "regular")
    consumer.apply(ev.refunded("ord_1", 2500))
    consumer.apply(ev.refunded("ord_1", 2500))  # redelivered: nothing more
    # 500 * 2500 // 15400 = 81 back; 154 * 2500 // 15400 = 25 clawed back
    assert look.standing() == (654 + 81 - 25, 0, 0, 154 - 25, "regular")
    consumer.apply(ev.refunded("ord_1", 15400, fully=True))
    consumer.apply(ev.refunded("ord_1", 2500))  # an older refund arriving late: nothing
    assert look.standing() == (1000, 0, 0, 0, "regular")  # everything as before the order
    assert look.ledger() == [("grant", 1000), ("lock", -500), ("spend", 0), ("earn", 154),
                          ("return", 81), ("clawback", -25), ("return", 419),
                          ("clawback", -129)]


def test_a_refund_before_completion_lowers_what_is_earned(consumer, db, ev, look):
    consumer.apply(ev.placed("ord_1", 15400))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.refunded("ord_1", 2500))
    consumer.apply(ev.completed("ord_1"))
    assert look.standing() == (129, 0, 0, 129, "regular")  # (15400 - 2500) // 100
    consumer.apply(ev.refunded("ord_1", 2500 + 6450))  # half of what was left: half of 129
    assert look.standing() == (129 - 64, 0, 0, 129 - 64, "regular")
    consumer.apply(ev.refunded("ord_1", 15400, fully=True))
    assert look.standing() == (0, 0, 0, 0, "regular")


def test_a_clawback_beyond_the_balance_is_a_debt_settled_by_later_points(consumer, db, ev, look):
    consumer.apply(ev.placed("ord_1", 100_000))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.completed("ord_1"))  # 1000 points, silver
    consumer.apply(ev.placed("ord_2", 20_000, points=900))
    consumer.apply(ev.paid("ord_2"))  # 100 left
    consumer.apply(ev.refunded("ord_1", 100_000, fully=True))
    assert look.standing() == (0, 0, 900, 0, "regular")  # never a negative balance
    consumer.apply(ev.placed("ord_3", 150_000))
    consumer.apply(ev.paid("ord_3"))
    consumer.apply(ev.completed("ord_3"))  # 1500 earned: 900 settle the debt
    assert look.standing() == (600, 0, 0, 1500, "silver")
    assert look.ledger()[-2:] == [("earn", 1500), ("debt_settled", -900)]
    assert [r["level"] for r in look.emitted("MemberLevelReached")] == ["silver"]  # once
    changes = look.emitted("MembershipChanged")
    assert all(c["points_balance"] >= 0 for c in changes)
    stamps = [c["changed_at"] for c in changes]
    assert stamps == sorted(stamps)  # the newest state carries the newest time


def test_a_debt_is_settled_by_points_given_back_too(consumer, db, ev, look):
    grant(db, "alice", 500, 0, AT)
    consumer.apply(ev.placed("ord_1", 50_000))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.completed("ord_1"))  # 500 earned: 1000
    consumer.apply(ev.placed("ord_2", 20_000, points=1000))  # all of it locked
    consumer.apply(ev.refunded("ord_1", 50_000, fully=True))  # 500 clawed back: a debt
    assert look.standing() == (0, 1000, 500, 0, "regular")
    consumer.apply(ev.cancelled("ord_2"))  # the 1000 come back, 500 of them settle the debt
    assert look.standing() == (500, 0, 0, 0, "regular")


def test_facts_arriving_out_of_order_end_the_same(consumer, db, ev, look):
    grant(db, "alice", 1000, 0, AT)
    consumer.apply(ev.cancelled("ord_1"))  # the cancellation overtook the placement
    consumer.apply(ev.placed("ord_1", 15400, points=500))
    assert look.standing() == (1000, 0, 0, 0, "regular")  # nothing locked for a dead order
    consumer.apply(ev.paid("ord_2"))
    consumer.apply(ev.completed("ord_2"))
    assert look.standing()[3] == 0  # nothing known of the order yet
    consumer.apply(ev.placed("ord_2", 20_050))
    assert look.standing() == (1200, 0, 0, 200, "regular")


def test_a_refund_of_a_second_charge_moves_no_points(consumer, db, ev, look):
    consumer.apply(ev.placed("ord_1", 15400))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.completed("ord_1"))
    consumer.apply(ev.refunded("ord_1", 15400, fully=True, duplicate_payment=True))
    assert look.standing() == (154, 0, 0, 154, "regular")


def test_a_payment_after_the_cancellation_gives_the_points_back_only_once(consumer, db, ev,
                                                                           look):
    # The payment deadline cancelled the order; a late payment is refunded in full.
    grant(db, "alice", 1000, 0, AT)
    consumer.apply(ev.placed("ord_1", 15400, points=500))
    consumer.apply(ev.cancelled("ord_1"))
    consumer.apply(ev.paid("ord_1"))
    consumer.apply(ev.refunded("ord_1", 15400, fully=True))
    assert look.standing() == (1000, 0, 0, 0, "regular")
    assert look.ledger() == [("grant", 1000), ("lock", -500), ("release", 500)]


def test_spending_locked_points_changes_no_balance_others_see(consumer, db, ev, look):
    grant(db, "alice", 1000, 0, AT)
    consumer.apply(ev.placed("ord_1", 15400, points=500))
    before = len(look.emitted("MembershipChanged"))
    consumer.apply(ev.paid("ord_1"))
    assert len(look.emitted("MembershipChanged")) == before
