"""What the payment service does when an event arrives."""

from sqlalchemy.orm import Session

from payment import service
from service_runtime.consumer import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    total = event.data["total"]
    service.record_payable(session, event.data["order_id"], event.data["user_id"],
                           total["amount"], total["currency"])
