"""What the after-sales service does when an event arrives: it keeps its own picture of
each order (buyer, lines, prices, how far it got, when it was delivered) that returns and
reviews are checked against, and settles requests the payment service refunded."""

from sqlalchemy.orm import Session

from aftersales import orders
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    orders.record_order_placed(session, event.data)


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    orders.record_paid(session, event.data)


@handlers.on("Shipped")
def shipped(session: Session, event: Event) -> None:
    orders.record_shipped(session, event.data)


@handlers.on("Delivered")
def delivered(session: Session, event: Event) -> None:
    orders.record_delivered(session, event.data)


@handlers.on("ReplacementShipped")
def replacement_shipped(session: Session, event: Event) -> None:
    orders.record_replacement_shipped(session, event.data)


@handlers.on("ReplacementDelivered")
def replacement_delivered(session: Session, event: Event) -> None:
    orders.record_replacement_delivered(session, event.data)


@handlers.on("OrderCompleted")
def order_completed(session: Session, event: Event) -> None:
    orders.record_completed(session, event.data)


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    orders.record_cancelled(session, event.data)


@handlers.on("RefundIssued")
def refund_issued(session: Session, event: Event) -> None:
    orders.record_refund(session, event.data)
