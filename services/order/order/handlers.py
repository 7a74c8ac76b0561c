"""What the order service does when an event arrives."""

from sqlalchemy.orm import Session

from order import service
from service_runtime.consumer import Event, Handlers

handlers = Handlers()


@handlers.on("ProductUpdated")
def product_updated(session: Session, event: Event) -> None:
    service.record_prices(session, event.data["skus"], event.data["updated_at"])


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    service.mark_paid(session, event.data["order_id"], event.data["payment_id"])
