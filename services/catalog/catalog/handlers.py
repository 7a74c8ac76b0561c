"""What the catalog service does when an event arrives."""

from sqlalchemy.orm import Session

from catalog import flash_holds, inventory, ratings
from event_contracts.vocabulary import CampaignKind, ReturnKind
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    campaign = event.data.get("campaign") or {}
    flash = campaign.get("campaign_id") if campaign.get("kind") == CampaignKind.FLASH_SALE \
        else None
    inventory.reserve_order(session, event.data["order_id"],
                            [(line["sku"], line["quantity"]) for line in event.data["lines"]],
                            flash_session_id=flash)


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


@handlers.on("FlashSessionScheduled")
def flash_session_scheduled(session: Session, event: Event) -> None:
    flash_holds.hold_session(session, event.data)


@handlers.on("FlashSessionEnded")
def flash_session_ended(session: Session, event: Event) -> None:
    flash_holds.end_session(session, event.data["session_id"])
