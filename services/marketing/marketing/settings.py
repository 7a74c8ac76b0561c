"""The marketing service's own settings, read once when a process starts."""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.settings import Settings, at_least, variable


@dataclass(frozen=True)
class MarketingSettings(Settings):
    # How often the worker marks coupons past their validity expired (reads never wait
    # for it: an available coupon past its validity already reads as expired).
    expiry_interval_ms: int = variable("MARKETING_EXPIRY_INTERVAL_MS", 60_000,
                                       validate=at_least(100))
    # How often the worker fails group buys past their deadline (a group's page shows its
    # deadline; this is how late after it the orders are cancelled at most).
    group_timer_interval_ms: int = variable("MARKETING_GROUP_TIMER_INTERVAL_MS", 1000,
                                            validate=at_least(100))
    # Points may pay at most this share (percent) of the goods after discounts.
    points_max_share_percent: int = variable("POINTS_MAX_SHARE_PERCENT", 50,
                                             validate=at_least(0))
    # The flash gate's Redis (redis://host:port/db); unset: the SQL gate, which answers
    # sold-out from a per-process memo for ``flash_sold_out_memo_ms``.
    flash_gate_redis_url: str = variable("FLASH_GATE_REDIS_URL", "")
    flash_gate_redis_prefix: str = variable("FLASH_GATE_REDIS_PREFIX", "flash:")
    flash_sold_out_memo_ms: int = variable("FLASH_SOLD_OUT_MEMO_MS", 500, validate=at_least(0))
    # How often the worker ends flash sessions past their end.
    flash_timer_interval_ms: int = variable("FLASH_TIMER_INTERVAL_MS", 1000,
                                            validate=at_least(50))
