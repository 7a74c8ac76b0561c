"""Risk signals are kept only as long as a rule can still count them: the longest window
that reads a rule's signals, plus a margin for events delivered late (an outage's
backlog is counted at the times the events happened). Without this, every sign-in failure
and order stayed in ``risk_signals`` for ever."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from analytics.risk_models import RiskSignal
from analytics.risk_rules import RiskRules
from analytics.settings import AnalyticsSettings
from event_contracts.vocabulary import RiskRule
from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob
from service_runtime.service import LoopFactory

LATE_EVENTS_MARGIN = timedelta(days=7)
BATCH = 5000  # rows a transaction deletes (then the next batch at once)
INTERVAL_S = 3600.0
# The rules whose windows read another rule's signals: the refund rule divides by the
# orders placed in its window, which are the order-burst rule's signals.
ALSO_READ_BY = {RiskRule.ORDER_BURST: (RiskRule.REFUND_ABUSE,)}


def kept_for(rules: RiskRules, rule: RiskRule) -> timedelta:
    """How long a signal of ``rule`` is kept."""
    readers = (rule, *ALSO_READ_BY.get(rule, ()))
    return max(rules.thresholds[reader].window for reader in readers) + LATE_EVENTS_MARGIN


def prune_signals(db: Database, rules: RiskRules, at: datetime) -> int:
    """Delete up to ``BATCH`` signals per rule that no window reaches any more; how many."""
    deleted = 0
    for rule in RiskRule:
        with db.transaction() as session:
            old = (select(RiskSignal.id)
                   .where(RiskSignal.rule == rule.value,
                          RiskSignal.at < at - kept_for(rules, rule))
                   .limit(BATCH).scalar_subquery())
            deleted += session.execute(
                delete(RiskSignal).where(RiskSignal.id.in_(old))
                .execution_options(synchronize_session=False)).rowcount
    return deleted


def signal_pruner(settings: AnalyticsSettings) -> LoopFactory:
    rules = RiskRules.of(settings)

    def tick(db: Database, at: datetime) -> bool:
        return prune_signals(db, rules, at) >= BATCH  # a full batch: more are waiting

    def loop(db: Database) -> Loop:
        return PeriodicJob(service="analytics", name="risk-signal-pruning", tick=tick,
                           interval_s=INTERVAL_S).loop(db)

    return loop
