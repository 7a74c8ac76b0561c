"""What the analytics service does when an event arrives: parse, call one use case.

Each handler runs in the consumer's transaction (with the inbox row, so an event is
applied once) and must not commit.
"""

from sqlalchemy.orm import Session

from analytics import facts, profiles, promotions
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    facts.order_placed(session, event.data)
    promotions.order_placed(session, event.data)
    profiles.order_placed(session, event.data)


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    facts.order_paid(session, event.data)


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    facts.order_cancelled(session, event.data)
    profiles.order_cancelled(session, event.data)


@handlers.on("RefundIssued")
def refund_issued(session: Session, event: Event) -> None:
    facts.refund_issued(session, event.data)


@handlers.on("ProductUpdated")
def product_updated(session: Session, event: Event) -> None:
    facts.product_updated(session, event.data)
