"""What the user service does when an event arrives: parse, call one membership use case.

Each runs in the consumer's transaction (with the inbox row) and is idempotent on its own
(see ``user.membership``): a redelivered fact, even under a new event id, moves nothing.
"""

from sqlalchemy.orm import Session

from service_runtime.handlers import Event, Handlers
from service_runtime.ids import utcnow
from user import membership

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    data = event.data
    membership.order_placed(session, data["order_id"], data["user_id"],
                            data["total"]["amount"], data.get("points_used") or 0, utcnow())


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    membership.order_cancelled(session, event.data["order_id"], event.data["user_id"],
                               utcnow())


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    membership.order_paid(session, event.data["order_id"], event.data["user_id"], utcnow())


@handlers.on("CashOnDeliveryChosen")
def cash_on_delivery_chosen(session: Session, event: Event) -> None:
    membership.order_paid(session, event.data["order_id"], event.data["user_id"], utcnow())


@handlers.on("OrderCompleted")
def order_completed(session: Session, event: Event) -> None:
    membership.order_completed(session, event.data["order_id"], event.data["user_id"],
                               utcnow())


@handlers.on("RefundIssued")
def refund_issued(session: Session, event: Event) -> None:
    data = event.data
    if data.get("duplicate_payment"):
        return  # a second charge given back: the order itself is not refunded
    membership.refund_issued(session, data["order_id"], data["user_id"],
                             data["refunded_total"]["amount"], data["fully_refunded"],
                             utcnow())
