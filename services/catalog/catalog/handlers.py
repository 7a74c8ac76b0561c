"""What the catalog service does when an event arrives."""

from sqlalchemy.orm import Session

from catalog import inventory, ratings
from event_contracts.vocabulary import ReturnKind
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    inventory.reserve_order(session, event.data["order_id"],
                          [(line["sku"], line["quantity"]) for line in event.data["lines"]])


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    inventory.release_order(session, event.data["order_id"])


@handlers.on("Shipped")
def shipped(session: Session, event: Event) -> None:
    inventory.sell_reservation(session, event.data["order_id"])


@handlers.on("ReviewPosted")
def review_posted(session: Session, event: Event) -> None:
    ratings.add_rating(session, event.data["product_id"], event.data["rating"])


@handlers.on("ReturnReceived")
def return_received(session: Session, event: Event) -> None:
    if event.data["type"] != ReturnKind.RETURN_REFUND:
        return  # an exchange's goods are replaced, not restocked for sale
    inventory.restock_return(session, event.data["return_id"],
                           [(line["sku"], line["quantity"]) for line in event.data["lines"]])
