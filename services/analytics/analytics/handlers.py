"""What the analytics service does when an event arrives: parse, call one use case.

Each handler runs in the consumer's transaction (with the inbox row, so an event is
applied once) and must not commit.
"""

from sqlalchemy.orm import Session

from analytics import facts, integration_feed, profiles, promotions, recommendations
from analytics.risk_handlers import with_risk
from analytics.risk_rules import RiskRules
from analytics.settings import AnalyticsSettings
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    facts.order_placed(session, event.data)
    integration_feed.record(session, event)
    recommendations.order_placed(session, event.data)
    promotions.order_placed(session, event.data)
    profiles.order_placed(session, event.data)


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    facts.order_paid(session, event.data)
    integration_feed.record(session, event)


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    facts.order_cancelled(session, event.data)
    integration_feed.record(session, event)
    profiles.order_cancelled(session, event.data)


@handlers.on("RefundIssued")
def refund_issued(session: Session, event: Event) -> None:
    facts.refund_issued(session, event.data)
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
