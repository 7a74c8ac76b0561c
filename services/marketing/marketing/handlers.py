"""What the marketing service does when an event arrives: parse, call one use case.

Each handler runs in the consumer's transaction (with the inbox row, so an event is
applied once) and must not commit.
"""

from sqlalchemy.orm import Session

from event_contracts.vocabulary import CampaignKind
from marketing import flash_handlers, groups, issuing, members, orders
from marketing.settings import MarketingSettings
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    """Lock the order's coupon (or refuse it) and record its discounts."""
    orders.order_placed(session, event.data)
    campaign = event.data.get("campaign")
    if campaign and campaign["kind"] == CampaignKind.GROUP_BUY:
        groups.hold_slot(session, event.data)
    flash_handlers.order_placed(session, event.data)


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    orders.order_cancelled(session, event.data)
    groups.member_left(session, event.data["order_id"], event.data["cancelled_at"])
    flash_handlers.order_cancelled(session, event.data)


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    orders.order_paid(session, event.data, event.data["confirmed_at"])
    groups.member_paid(session, event.data["order_id"], event.data["confirmed_at"])


@handlers.on("CashOnDeliveryChosen")
def cash_on_delivery_chosen(session: Session, event: Event) -> None:
    orders.order_paid(session, event.data, event.data["chosen_at"], counts_as_paid=False)


@handlers.on("UserRegistered")
def user_registered(session: Session, event: Event) -> None:
    """New-user coupons."""
    issuing.auto_issue(session, "new_user", event.data["user_id"], event.occurred_at)


@handlers.on("OrderCompleted")
def order_completed(session: Session, event: Event) -> None:
    """Purchase-reward coupons."""
    issuing.auto_issue(session, "purchase_reward", event.data["user_id"], event.occurred_at)


@handlers.on("MemberLevelReached")
def member_level_reached(session: Session, event: Event) -> None:
    """The level's coupons."""
    data = event.data
    issuing.issue_for_level(session, data["user_id"], data["level"], event.occurred_at)


@handlers.on("ProductUpdated")
def product_updated(session: Session, event: Event) -> None:
    members.record_product(session, event.data)
    members.record_list_prices(session, event.data)


@handlers.on("MembershipChanged")
def membership_changed(session: Session, event: Event) -> None:
    members.record_membership(session, event.data)


flash_handlers.register(handlers)


def handlers_for(settings: MarketingSettings) -> Handlers:
    """The handlers, the flash ones giving units back to the gate ``settings`` name."""
    flash_handlers.bind(settings)
    return handlers
