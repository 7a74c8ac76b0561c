"""The risk rules' thresholds and windows (``RISK_*``), part of the analytics settings.

Each rule raises a flag when one subject reaches its threshold within its window; the
events counted for one flag never count towards another (see ``analytics.risk_flags``).
"""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.settings import Settings, at_least, variable


@dataclass(frozen=True)
class RiskSettings(Settings):
    # Repeated payment failures: this many PaymentFailed of one user within the window.
    risk_payment_failures: int = variable("RISK_PAYMENT_FAILURES", 3, validate=at_least(1))
    risk_payment_failures_window_s: int = variable("RISK_PAYMENT_FAILURES_WINDOW_S", 600,
                                                   validate=at_least(1))
    # Password guessing: this many refused sign-ins on one account within the window (the
    # account locks after 5 in a row; the attempts on the locked account count too).
    risk_account_sign_in_failures: int = variable("RISK_ACCOUNT_SIGN_IN_FAILURES", 10,
                                                  validate=at_least(1))
    risk_account_sign_in_failures_window_s: int = variable(
        "RISK_ACCOUNT_SIGN_IN_FAILURES_WINDOW_S", 3600, validate=at_least(1))
    # Credential stuffing: refused sign-ins on this many different accounts from one client
    # address within the window.
    risk_address_sign_in_accounts: int = variable("RISK_ADDRESS_SIGN_IN_ACCOUNTS", 10,
                                                  validate=at_least(1))
    risk_address_sign_in_accounts_window_s: int = variable(
        "RISK_ADDRESS_SIGN_IN_ACCOUNTS_WINDOW_S", 600, validate=at_least(1))
    # Refund abuse: at least this many of one user's orders refunded within the window, and
    # that user's refund rate (refunded orders / orders placed in the window) at least the
    # floor and at least the factor times the platform's rate over the same window.
    risk_refunds_min: int = variable("RISK_REFUNDS_MIN", 3, validate=at_least(1))
    risk_refunds_window_s: int = variable("RISK_REFUNDS_WINDOW_S", 30 * 86400,
                                          validate=at_least(1))
    risk_refund_rate_floor: float = variable("RISK_REFUND_RATE_FLOOR", 0.5,
                                             validate=at_least(0))
    risk_refund_norm_factor: float = variable("RISK_REFUND_NORM_FACTOR", 3.0,
                                              validate=at_least(0))
    # Order bursts: this many OrderPlaced of one user within the window.
    risk_order_burst: int = variable("RISK_ORDER_BURST", 5, validate=at_least(1))
    risk_order_burst_window_s: int = variable("RISK_ORDER_BURST_WINDOW_S", 600,
                                              validate=at_least(1))
