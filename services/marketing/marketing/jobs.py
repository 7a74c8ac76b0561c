"""The worker's timers: coupons past their validity are marked expired; group buys past
their deadline fail; flash sessions past their end end."""

from __future__ import annotations

from collections.abc import Callable

from marketing.flash_sales import end_due_sessions
from marketing.groups import expire_groups
from marketing.issuing import expire_coupons
from marketing.settings import MarketingSettings
from service_runtime.db import Database
from service_runtime.jobs import Loop, PeriodicJob


def expiry_job(settings: MarketingSettings) -> Callable[[Database], Loop]:
    job = PeriodicJob(service="marketing", name="coupon-expiry", tick=expire_coupons,
                      interval_s=settings.expiry_interval_ms / 1000)
    return job.loop


def group_expiry_job(settings: MarketingSettings) -> Callable[[Database], Loop]:
    job = PeriodicJob(service="marketing", name="group-expiry", tick=expire_groups,
                      interval_s=settings.group_timer_interval_ms / 1000)
    return job.loop


def flash_session_job(settings: MarketingSettings) -> Callable[[Database], Loop]:
    job = PeriodicJob(service="marketing", name="flash-session-end", tick=end_due_sessions,
                      interval_s=settings.flash_timer_interval_ms / 1000)
    return job.loop
