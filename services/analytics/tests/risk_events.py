"""Helpers of the risk tests (shared by plain import, like analytics_history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.handlers import handlers_for
from analytics.settings import AnalyticsSettings
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def risk_consumer(db, **settings) -> EventConsumer:  # type: ignore[no-untyped-def]
    """The worker's consumer, its risk thresholds from ``settings`` (defaults otherwise)."""
    return EventConsumer("analytics", "analytics", db,
                         handlers_for(AnalyticsSettings(**settings)), KafkaSettings(),
                         DeliverySettings())
