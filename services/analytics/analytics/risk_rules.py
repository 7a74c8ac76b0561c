"""The risk rules: what each counts and when it fires, in plain Python.

A rule counts *signals* (one per event that matters to it) of one *subject* (a user, a
sign-in account, a client address) in a sliding window ending at the newest signal, and
fires when the count reaches its threshold. The refund rule also compares rates.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from analytics.risk_settings import RiskSettings
from event_contracts.vocabulary import RiskRule

# Evidence kept with a flag (and carried by RiskFlagRaised): the newest event ids.
MAX_EVIDENCE_EVENTS = 100


@dataclass(frozen=True)
class Threshold:
    count: int
    window: timedelta


@dataclass(frozen=True)
class RefundNorm:
    """How far above the platform's refund rate a user's must be (and never below
    ``floor``): ``factor`` times the platform's rate."""

    floor: float
    factor: float

    def limit(self, platform_rate: float) -> float:
        # Capped at 1: a rate is at most 1, so a higher limit would flag no one ever.
        return min(1.0, max(self.floor, self.factor * platform_rate))


@dataclass(frozen=True)
class RiskRules:
    thresholds: dict[RiskRule, Threshold]
    refund_norm: RefundNorm

    @classmethod
    def of(cls, settings: RiskSettings) -> RiskRules:
        def seconds(value: int) -> timedelta:
            return timedelta(seconds=value)

        return cls({
            RiskRule.PAYMENT_FAILURES: Threshold(
                settings.risk_payment_failures, seconds(settings.risk_payment_failures_window_s)),
            RiskRule.ACCOUNT_SIGN_IN_FAILURES: Threshold(
                settings.risk_account_sign_in_failures,
                seconds(settings.risk_account_sign_in_failures_window_s)),
            RiskRule.ADDRESS_SIGN_IN_ACCOUNTS: Threshold(
                settings.risk_address_sign_in_accounts,
                seconds(settings.risk_address_sign_in_accounts_window_s)),
            RiskRule.REFUND_ABUSE: Threshold(
                settings.risk_refunds_min, seconds(settings.risk_refunds_window_s)),
            RiskRule.ORDER_BURST: Threshold(
                settings.risk_order_burst, seconds(settings.risk_order_burst_window_s)),
        }, RefundNorm(settings.risk_refund_rate_floor, settings.risk_refund_norm_factor))


# Rules counting distinct values of their signals (accounts tried), not the signals.
COUNTS_DISTINCT = frozenset({RiskRule.ADDRESS_SIGN_IN_ACCOUNTS, RiskRule.REFUND_ABUSE})


def rate(part: int, whole: int) -> float:
    """``part / whole``, a whole never smaller than its part (orders placed before the
    window may be refunded inside it)."""
    whole = max(whole, part)
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class Signal:
    at: datetime
    event_id: str
    value: str | None


def window_reached(signals: Sequence[Signal], new: str, window: timedelta, threshold: int,
                   distinct: bool) -> list[Signal] | None:
    """The earliest-ending run of ``signals`` (sorted by time) spanning less than
    ``window`` that holds the new signal (event id ``new``) and reaches ``threshold``;
    None if there is none.

    The new signal is the only change, so only a run holding it can newly reach the
    threshold; it may be older than others (events of several topics and partitions
    arrive out of order), so runs ending after it count too. Ending earliest leaves the
    most of the later signals to a next flag.
    """
    times = [signal.at for signal in signals]
    newest = next((i for i, signal in enumerate(signals) if signal.event_id == new), None)
    if newest is None:
        return None  # not among those read (a flood of one subject's signals: bounded)
    for end in range(newest, len(signals)):
        start = bisect.bisect_right(times, times[end] - window)
        if start > newest:
            return None  # later ends leave the new signal out
        run = signals[start:end + 1]
        if counted(run, distinct) >= threshold:
            return list(run)
    return None


def counted(run: Sequence[Signal], distinct: bool) -> int:
    return len({signal.value for signal in run}) if distinct else len(run)
