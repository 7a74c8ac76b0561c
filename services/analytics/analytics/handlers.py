"""What the analytics service does when an event arrives: parse, call one use case.

Each handler runs in the consumer's transaction (with the inbox row, so an event is
applied once) and must not commit.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from analytics import facts, integration_feed, profiles, promotions, recommendations
from analytics.risk_handlers import with_risk
from analytics.risk_rules import RiskRules
from analytics.settings import AnalyticsSettings
from service_runtime.handlers import Event, Handlers

handlers = Handlers()

# What each order event changes in the service's own tables, beside the middle-platform
# feed. The demo history (analytics.demo_history_job) applies its synthetic orders through
# exactly these, and through nothing else: no feed record, no risk rule.
DomainEffect = Callable[[Session, dict[str, Any]], None]
ORDER_EFFECTS: dict[str, tuple[DomainEffect, ...]] = {
    "OrderPlaced": (facts.order_placed, recommendations.order_placed, promotions.order_placed,
                    profiles.order_placed),
    "PaymentConfirmed": (facts.order_paid,),
    "OrderCancelled": (facts.order_cancelled, profiles.order_cancelled),
    "RefundIssued": (facts.refund_issued,),
}


def apply_order_event(session: Session, event_type: str, data: dict[str, Any]) -> None:
    """The service's own effects of an order event's (validated) ``data``."""
    for effect in ORDER_EFFECTS[event_type]:
        effect(session, data)


@handlers.on("OrderPlaced")
@handlers.on("PaymentConfirmed")
@handlers.on("OrderCancelled")
@handlers.on("RefundIssued")
def order_event(session: Session, event: Event) -> None:
    apply_order_event(session, event.type, event.data)
    integration_feed.record(session, event)


@handlers.on("ProductUpdated")
def product_updated(session: Session, event: Event) -> None:
    facts.product_updated(session, event.data)
    recommendations.product_updated(session, event.data)
    integration_feed.record(session, event)


# Followed by the middle-platform feed only (analytics.integration_feed).
for _event_type in ("PaymentFailed", "CashOnDeliveryChosen", "OrderCompleted",
                    "UserRegistered", "MembershipChanged"):
    handlers.on(_event_type)(integration_feed.record)


def handlers_for(settings: AnalyticsSettings) -> Handlers:
    """The handlers above and the risk rules' (thresholds from ``settings``)."""
    return with_risk(handlers, RiskRules.of(settings))
