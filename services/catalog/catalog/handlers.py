"""What the catalog service does when an event arrives."""

from sqlalchemy.orm import Session

from catalog import service
from service_runtime.consumer import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    service.reserve_order(session, event.data["order_id"],
                          [(line["sku"], line["quantity"]) for line in event.data["lines"]])


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    service.release_order(session, event.data["order_id"])


@handlers.on("Shipped")
def shipped(session: Session, event: Event) -> None:
    service.commit_order(session, event.data["order_id"])
