"""Risk signals are deleted once no rule's window reaches them (plus a margin for late
events); the orders the refund rule divides by are kept for its window."""

from __future__ import annotations

from datetime import timedelta

from risk_events import T0
from sqlalchemy import select

from analytics import risk_retention
from analytics.risk_models import RiskSignal
from analytics.risk_retention import LATE_EVENTS_MARGIN, kept_for, prune_signals
from analytics.risk_rules import RiskRules
from analytics.settings import AnalyticsSettings
from event_contracts.vocabulary import RiskRule

RULES = RiskRules.of(AnalyticsSettings())  # payment failures 600 s, refunds 30 days, ...


def stored(db) -> set[str]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return set(session.scalars(select(RiskSignal.event_id)))


def add(db, rule: RiskRule, event_id: str, age: timedelta) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        session.add(RiskSignal(rule=rule.value, subject="usr_1", event_id=event_id,
                               at=T0 - age, value=None))


def test_signals_go_once_no_window_reaches_them(db, monkeypatch):
    assert kept_for(RULES, RiskRule.PAYMENT_FAILURES) == timedelta(minutes=10) + LATE_EVENTS_MARGIN
    assert kept_for(RULES, RiskRule.ORDER_BURST) == timedelta(days=30) + LATE_EVENTS_MARGIN
    just_kept = LATE_EVENTS_MARGIN + timedelta(minutes=9)
    add(db, RiskRule.PAYMENT_FAILURES, "pay-old", LATE_EVENTS_MARGIN + timedelta(minutes=11))
    add(db, RiskRule.PAYMENT_FAILURES, "pay-kept", just_kept)
    add(db, RiskRule.ORDER_BURST, "order-20-days", timedelta(days=20))  # the refund rule's
    add(db, RiskRule.ORDER_BURST, "order-40-days", timedelta(days=40))
    add(db, RiskRule.REFUND_ABUSE, "refund-40-days", timedelta(days=40))
    add(db, RiskRule.REFUND_ABUSE, "refund-10-days", timedelta(days=10))

    assert prune_signals(db, RULES, T0) == 3
    assert stored(db) == {"pay-kept", "order-20-days", "refund-10-days"}
    assert prune_signals(db, RULES, T0) == 0

    monkeypatch.setattr(risk_retention, "BATCH", 2)  # a long backlog goes batch by batch
    for n in range(5):
        add(db, RiskRule.ACCOUNT_SIGN_IN_FAILURES, f"sign-in-{n}", timedelta(days=9))
    assert prune_signals(db, RULES, T0) == 2
    assert prune_signals(db, RULES, T0) == 2
    assert prune_signals(db, RULES, T0) == 1
    assert stored(db) == {"pay-kept", "order-20-days", "refund-10-days"}
