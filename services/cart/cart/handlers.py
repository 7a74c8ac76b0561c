"""What the cart service does when an event arrives."""

from sqlalchemy.orm import Session

from cart import catalog_copy, items
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("ProductUpdated")
def product_updated(session: Session, event: Event) -> None:
    catalog_copy.apply_product(session, event.data)


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    items.remove_bought(session, event.data["user_id"],
                        [(line["sku"], line["quantity"]) for line in event.data["lines"]])
