"""What the logistics service does when an event arrives: parse, call one use case.

Each handler runs in the consumer's transaction (with the inbox row) and must not
commit. Events of different topics may arrive in any order; the use cases upsert.
"""

from sqlalchemy.orm import Session

from event_contracts.vocabulary import PaymentMethod, ReturnKind
from logistics import group_holds, orders
from logistics.settings import LogisticsSettings
from service_runtime.handlers import Event, Handlers


def handlers_for(settings: LogisticsSettings) -> Handlers:
    """The worker's handlers, with the transit days its settings give."""
    handlers = Handlers()
    days = settings.transit_days

    @handlers.on("OrderPlaced")
    def order_placed(session: Session, event: Event) -> None:
        orders.record_order(session, event.data, days)

    @handlers.on("PaymentConfirmed")
    def payment_confirmed(session: Session, event: Event) -> None:
        data = event.data
        orders.prepare_shipment(session, data["order_id"], data["user_id"],
                                data["confirmed_at"], transit_days=days,
                                cash_on_delivery=data["method"] == PaymentMethod.CASH_ON_DELIVERY,
                                group_id=data.get("group_id"))

    @handlers.on("GroupBuySucceeded")
    def group_buy_succeeded(session: Session, event: Event) -> None:
        """The group's held parcels may ship now."""
        data = event.data
        group_holds.group_succeeded(session, data["group_id"], data["order_ids"],
                                    data["succeeded_at"])

    @handlers.on("CashOnDeliveryChosen")
    def cash_on_delivery_chosen(session: Session, event: Event) -> None:
        data = event.data
        orders.prepare_shipment(session, data["order_id"], data["user_id"], data["chosen_at"],
                                cash_on_delivery=True, transit_days=days)

    @handlers.on("OrderCancelled")
    def order_cancelled(session: Session, event: Event) -> None:
        data = event.data
        orders.cancel_order(session, data["order_id"], data["user_id"], data["cancelled_at"])

    @handlers.on("ReturnReceived")
    def return_received(session: Session, event: Event) -> None:
        """Only an exchange ships something back; refunds are the payment service's."""
        if event.data["type"] == ReturnKind.EXCHANGE:
            orders.prepare_replacement(session, event.data, days)

    return handlers
