"""The risk rules: what each counts and when it fires, in plain Python.

A rule counts *signals* (one per event that matters to it) of one *subject* (a user, a
sign-in account, a client address) in a sliding window ending at the newest signal, and
fires when the count reaches its threshold. The refund rule also compares rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
