"""The risk rules' tables (created by migration ``analytics_0003``).

``risk_signals`` is what the rules count, ``risk_subjects`` the lock and memory of each
rule's subject (until when it was flagged), ``risk_flags`` what the admin sees.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from analytics.models import BIG_ID, Base
from service_runtime.types import UTCDateTime


class RiskSignal(Base):
    """One event as one rule counts it."""

    __tablename__ = "risk_signals"
    __table_args__ = (
        # An event is counted once by a rule, whatever delivers it again.
        UniqueConstraint("rule", "subject", "event_id", name="uq_risk_signals_event"),
        Index("ix_risk_signals_subject_at", "rule", "subject", "at"),
        Index("ix_risk_signals_rule_at", "rule", "at"),  # the platform's refund rate
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What a rule counts distinct values of (the account tried, the order refunded).
    value: Mapped[str | None] = mapped_column(String(64))


class RiskSubject(Base):
    """One subject of one rule: locked while its signals are counted, so two consumers
    counting at once see each other's, and a flag is raised once."""

    __tablename__ = "risk_subjects"

    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The newest signal counted by its last flag: only later signals count again.
    flagged_through: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RiskFlag(Base):
    __tablename__ = "risk_flags"
    __table_args__ = (
        UniqueConstraint("rule", "subject", "window_end", name="uq_risk_flags_window"),
        Index("ix_risk_flags_rule_id", "rule", "id"),
        Index("ix_risk_flags_user_id", "user_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    # {"event_ids": [...], "window_seconds": n, ...the rule's own figures}
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(500))
