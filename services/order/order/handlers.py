"""What the order service does when an event arrives: parse, call one use case.

Every handler runs in the consumer's transaction (with the inbox row) and is
idempotent on its own: a fact already known or a status already reached is a no-op,
and facts arriving in any order are recorded (see ``order.saga``).
"""

from sqlalchemy.orm import Session

from order import flash_orders, prices, saga
from order.domain import unavailable_skus
from order.settings import OrderSettings
from service_runtime.handlers import Event, Handlers
from service_runtime.money import Money

handlers = Handlers()


@handlers.on("ProductUpdated")
def product_updated(session: Session, event: Event) -> None:
    prices.record_prices(session, event.data["skus"], event.data["updated_at"],
                         event.data["product_id"])


# Not StockReserved: the payment service consumes it and says when the order is payable.
@handlers.on("PaymentDue")
def payment_due(session: Session, event: Event) -> None:
    saga.payment_due(session, event.data["order_id"])


@handlers.on("StockRejected")
def stock_rejected(session: Session, event: Event) -> None:
    saga.stock_rejected(session, event.data["order_id"], unavailable_skus(event.data["lines"]))


@handlers.on("CouponRejected")
def coupon_rejected(session: Session, event: Event) -> None:
    saga.coupon_rejected(session, event.data["order_id"], event.data["reason"])


@handlers.on("PointsRejected")
def points_rejected(session: Session, event: Event) -> None:
    saga.points_rejected(session, event.data["order_id"], event.data["points"])


@handlers.on("GroupSlotRejected")
def group_slot_rejected(session: Session, event: Event) -> None:
    saga.group_slot_rejected(session, event.data["order_id"], event.data["reason"])


@handlers.on("GroupBuyFailed")
def group_buy_failed(session: Session, event: Event) -> None:
    saga.group_buy_failed(session, event.data["order_ids"])


@handlers.on("PaymentConfirmed")
def payment_confirmed(session: Session, event: Event) -> None:
    data = event.data
    saga.payment_confirmed(session, data["order_id"], data["payment_id"], data["method"],
                           data["confirmed_at"])


@handlers.on("PaymentFailed")
def payment_failed(session: Session, event: Event) -> None:
    data = event.data
    saga.payment_failed(session, data["order_id"], data["payment_id"], data["reason"])


@handlers.on("CashOnDeliveryChosen")
def cash_on_delivery_chosen(session: Session, event: Event) -> None:
    saga.cash_on_delivery_chosen(session, event.data["order_id"], event.data["payment_id"])


@handlers.on("Shipped")
def shipped(session: Session, event: Event) -> None:
    data = event.data
    saga.shipped(session, data["order_id"], data["shipment_id"], data["carrier"],
                 data["tracking_number"])


@handlers.on("Delivered")
def delivered(session: Session, event: Event) -> None:
    data = event.data
    saga.delivered(session, data["order_id"], data["shipment_id"], data["delivered_at"])


@handlers.on("RefundIssued")
def refund_issued(session: Session, event: Event) -> None:
    data = event.data
    saga.refund_issued(
        session, data["order_id"], data["refund_id"],
        Money(data["amount"]["amount"], data["amount"]["currency"]),
        data["refunded_total"]["amount"], data["fully_refunded"], data["reason"],
        duplicate_payment=data.get("duplicate_payment", False),
    )


@handlers.on("ReturnRequested")
def return_requested(session: Session, event: Event) -> None:
    data = event.data
    saga.return_requested(session, data["order_id"], data["return_id"], data["type"])


def handlers_for(settings: OrderSettings) -> Handlers:
    """The handlers, with the flash-sale one reading through ``settings``' services."""
    reads = flash_orders.FlashOrderReads.of(settings)

    @handlers.on("FlashAttemptWon")
    def flash_attempt_won(session: Session, event: Event) -> None:
        """A won flash attempt becomes its one order (or FlashOrderRejected)."""
        flash_orders.attempt_won(session, event.data, read_address=reads.address,
                                 quote=reads.pricing.quote)

    return handlers
