"""Risk flags: signals counted as events arrive, flags raised once, the admin's list.

Each ``observe`` runs in the consumer's transaction, with the inbox row. A signal is
recorded once per (rule, subject, event) whatever redelivers it; the subject's row is
then locked (``SELECT ... FOR UPDATE``; the runtime serialises SQLite's writers), so two
consumers counting one subject at once count each other's signals and only one raises.
A flag counts the signals after its subject's previous flag only: one flag per window,
not one per further event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from analytics.risk_models import RiskFlag, RiskSignal, RiskSubject
from analytics.risk_rules import (
    COUNTS_DISTINCT,
    MAX_EVIDENCE_EVENTS,
    RiskRules,
    Signal,
    counted,
    rate,
    window_reached,
)
from event_contracts.vocabulary import RiskRule
from service_runtime.db import Database, insert_if_absent
from service_runtime.errors import Conflict, NotFound
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.outbox import Outbox
from service_runtime.paging import Page, page_of

outbox = Outbox("analytics")
# The signals read to find a run: far more than any threshold, so a flood of one subject's
# events cannot make one event's evaluation read without bound.
MAX_SIGNALS_READ = 5000


class FlagResolved(Conflict):
    slug, title = "risk-flag-resolved", "The risk flag is resolved already"


def observe(session: Session, rules: RiskRules, rule: RiskRule, subject: str, event_id: str,
            at: datetime, *, user_id: str | None = None, value: str | None = None) -> str | None:
    """Count one event for ``rule``'s ``subject``; the id of the flag it raised, if any."""
    if not insert_if_absent(session, RiskSignal, rule=rule.value, subject=subject,
                            event_id=event_id, at=at, value=value):
        return None  # counted before
    insert_if_absent(session, RiskSubject, rule=rule.value, subject=subject,
                     flagged_through=None)
    flagged_through = session.scalar(
        select(RiskSubject.flagged_through)
        .where(RiskSubject.rule == rule.value, RiskSubject.subject == subject)
        .with_for_update())
    if flagged_through is not None and at <= flagged_through:
        return None  # late: its time was counted by the last flag already
    threshold = rules.thresholds[rule]
    since = at - threshold.window
    if flagged_through is not None and flagged_through > since:
        since = flagged_through
    # Every signal of a run holding this one (read after the lock: a concurrent
    # consumer's committed ones too), oldest first.
    signals = [Signal(*row) for row in session.execute(
        select(RiskSignal.at, RiskSignal.event_id, RiskSignal.value)
        .where(RiskSignal.rule == rule.value, RiskSignal.subject == subject,
               RiskSignal.at > since, RiskSignal.at < at + threshold.window)
        .order_by(RiskSignal.at, RiskSignal.id).limit(MAX_SIGNALS_READ))]
    distinct = rule in COUNTS_DISTINCT
    run = window_reached(signals, event_id, threshold.window, threshold.count, distinct)
    if run is None:
        return None
    count, end = counted(run, distinct), run[-1].at
    figures: dict[str, Any] = {"signals": len(run)}
    if rule is RiskRule.REFUND_ABUSE:
        rates = _refund_figures(session, rules, user_id or subject, count, end)
        if rates is None:
            return None
        figures.update(rates)
    event_ids = [signal.event_id for signal in run[-MAX_EVIDENCE_EVENTS:]]
    return _raise(session, rule, subject, user_id, count, threshold.count, run[0].at, end,
                  {"event_ids": event_ids,
                   "window_seconds": int(threshold.window.total_seconds()), **figures})


def _refund_figures(session: Session, rules: RiskRules, user_id: str, refunded: int,
                    at: datetime) -> dict[str, Any] | None:
    """The user's and the platform's refund rates over the window, if the user's is far
    enough above the norm; else None (no flag)."""
    since = at - rules.thresholds[RiskRule.REFUND_ABUSE].window

    def count(rule: RiskRule, *where: Any, distinct: bool = False) -> int:
        figure = func.count(func.distinct(RiskSignal.value)) if distinct else func.count()
        return session.scalar(select(figure).where(
            RiskSignal.rule == rule.value, RiskSignal.at > since, RiskSignal.at <= at,
            *where)) or 0

    orders = count(RiskRule.ORDER_BURST, RiskSignal.subject == user_id)
    user_rate = rate(refunded, orders)
    # Refunded orders over the platform: each order once (its value), whoever's.
    platform_rate = rate(count(RiskRule.REFUND_ABUSE, distinct=True),
                         count(RiskRule.ORDER_BURST))
    limit = rules.refund_norm.limit(platform_rate)
    if user_rate < limit:
        return None
    return {"orders": orders, "refunded_orders": refunded, "refund_rate": round(user_rate, 4),
            "platform_refund_rate": round(platform_rate, 4), "rate_limit": round(limit, 4)}


def _raise(session: Session, rule: RiskRule, subject: str, user_id: str | None, count: int,
           threshold: int, start: datetime, end: datetime, evidence: dict[str, Any]) -> str:
    # The signals up to ``end`` are this flag's: only later ones count towards another.
    session.execute(
        update(RiskSubject).where(RiskSubject.rule == rule.value, RiskSubject.subject == subject)
        .values(flagged_through=end).execution_options(synchronize_session=False))
    now = utcnow()
    flag = RiskFlag(id=time_ordered_id("rsk"), rule=rule.value, subject=subject,
                    user_id=user_id, count=count, threshold=threshold, window_start=start,
                    window_end=end, evidence=evidence, raised_at=now)
    session.add(flag)
    session.flush()
    outbox.emit(session, "RiskFlagRaised", key=user_id or subject, data={
        "flag_id": flag.id, "rule": rule.value, "subject": subject, "user_id": user_id,
        "count": count, "threshold": threshold, "window_start": start.isoformat(),
        "window_end": end.isoformat(), "event_ids": evidence["event_ids"],
        "raised_at": now.isoformat()})
    return flag.id


def list_flags(db: Database, limit: int, cursor: str | None, rule: RiskRule | None = None,
               user_id: str | None = None, resolved: bool | None = None) -> Page[RiskFlag]:
    """Flags newest first, optionally of one rule, one user, open or resolved only."""
    query = select(RiskFlag)
    if rule is not None:
        query = query.where(RiskFlag.rule == rule.value)
    if user_id is not None:
        query = query.where(RiskFlag.user_id == user_id)
    if resolved is not None:
        query = query.where(RiskFlag.resolved_at.is_not(None) if resolved
                            else RiskFlag.resolved_at.is_(None))
    if cursor:
        query = query.where(RiskFlag.id < cursor)
    with db.read() as session:
        return page_of(list(session.scalars(query.order_by(RiskFlag.id.desc())
                                            .limit(limit + 1))), limit)


def resolve_flag(db: Database, flag_id: str, admin_id: str, note: str | None) -> RiskFlag:
    """Mark a flag looked into; a second resolution is a 409 and changes nothing."""
    with db.transaction() as session:
        done = session.execute(
            update(RiskFlag).where(RiskFlag.id == flag_id, RiskFlag.resolved_at.is_(None))
            .values(resolved_at=utcnow(), resolved_by=admin_id, resolution=note)
            .execution_options(synchronize_session=False))
        flag = session.get(RiskFlag, flag_id, populate_existing=True)
        if flag is None:
            raise NotFound("no such risk flag")
        if done.rowcount != 1:
            raise FlagResolved()
        return flag
