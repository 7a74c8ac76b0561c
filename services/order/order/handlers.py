"""What the order service does when an event arrives."""

from sqlalchemy.orm import Session

from order import service
from service_runtime.consumer import Event, Handlers

handlers = Handlers()


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    service.mark_paid(session, event.data["order_id"], event.data["payment_id"])
